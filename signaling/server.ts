/**
 * Starts vigil's signaling server: the public HTTPS listener (Deno.serve,
 * HTTP/2) and the mTLS device listener (node:https, which can ask for client
 * certificates), around one shared context.
 *
 * @example
 * ```ts
 * const server = await startServer(serverSettings({ dataDir: "./data", port: 0, devicePort: 0 }));
 * console.log(server.publicUrl, server.devicePort);
 * await server.close();
 * ```
 * @module
 */
import { createAdaptorServer } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { AuditLog } from "./audit/audit_log.ts";
import { InProcessBus } from "./bus/bus.ts";
import type { ServerSettings } from "./config/settings.ts";
import type { ServerContext } from "./context.ts";
import { DeviceHub } from "./devices/hub.ts";
import { identify } from "./devices/identity.ts";
import { loadKeyRing } from "./auth/jwt_keys.ts";
import { ensurePki } from "./certs/pki_state.ts";
import { Presence } from "./devices/presence.ts";
import { publicApp } from "./http/public_app.ts";
import { Throttle } from "./auth/rate_limit.ts";
import { RevocationList } from "./devices/revocation.ts";
import { deviceRoutes } from "./http/routes/device.ts";
import { problem } from "./http/routes/errors.ts";
import { openDatabase } from "./store/db.ts";
import { WhepSessions } from "./sessions/table.ts";
import { serverNames } from "./certs/server_names.ts";
import { endFamilySessions } from "./sessions/end_sessions.ts";
import { familiesRevokedSince } from "./store/refresh_tokens.ts";

/** A running server. */
export interface RunningServer {
  ctx: ServerContext;
  hub: DeviceHub;
  publicPort: number;
  devicePort: number;
  publicUrl: string;
  caFingerprint: string;
  close(): Promise<void>;
}

/** Prepares state (data dir, PKI, keys, store) and starts both listeners. */
export async function startServer(config: ServerSettings): Promise<RunningServer> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(join(config.dataDir, "vigil.db"));
  const pki = await ensurePki(config.dataDir, serverNames(config));
  const ring = await loadKeyRing(db, config.dataDir);
  const bus = new InProcessBus();
  const audit = new AuditLog(join(config.dataDir, "audit.log"));
  const ctx: ServerContext = {
    config,
    db,
    ring,
    pki,
    issuer: `urn:vigil:${pki.caFingerprint.replaceAll(":", "").slice(0, 16).toLowerCase()}`,
    audit,
    startedAt: Date.now(),
    bus,
    presence: new Presence(bus),
    revocations: new RevocationList(db),
    sessions: new WhepSessions({
      perCamera: config.maxSessionsPerCamera,
      perViewer: config.maxSessionsPerViewer,
    }),
    throttles: {
      loginUser: new Throttle({ freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 }),
      loginAddress: new Throttle({ freeFailures: 20, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 }),
      enrollAddress: new Throttle({ freeFailures: 5, baseDelayMs: 2000, maxDelayMs: 10 * 60_000 }),
    },
  };
  const hub = new DeviceHub({
    bus,
    presence: ctx.presence,
    sessions: ctx.sessions,
    audit,
    heartbeatMs: config.heartbeatMs,
    timeoutMs: config.deviceTimeoutMs,
    iceServers: config.iceServers,
  });

  // --- device listener (mTLS) ---
  const deviceApp = new Hono();
  const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app: deviceApp });
  deviceApp.route("/", deviceRoutes(ctx, hub, upgradeWebSocket) as unknown as Hono);
  deviceApp.notFound((c) => problem(c, 404, "not_found", "not found"));
  deviceApp.onError((err, c) => {
    console.error(`device: ${c.req.method} ${c.req.path}: ${err.message}`);
    return problem(c, 500, "internal", "internal error");
  });
  const sockets = new Map<string, Set<TLSSocket>>();
  const deviceServer = createAdaptorServer({
    fetch: deviceApp.fetch,
    createServer: https.createServer,
    serverOptions: {
      key: pki.serverKeyPem,
      cert: pki.serverCertPem + pki.caPem,
      ca: [pki.caPem],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
    },
    overrideGlobalObjects: false,
  }) as unknown as https.Server;
  deviceServer.on("secureConnection", (socket: TLSSocket) => {
    const id = identify(socket);
    if (typeof id === "string" || ctx.revocations.isRevoked(id.serial)) {
      audit.log("mtls.refused", {
        reason: typeof id === "string" ? id : "revoked",
        ip: socket.remoteAddress,
        at: "connection",
      });
      socket.destroy();
      return;
    }
    let set = sockets.get(id.serial);
    if (!set) sockets.set(id.serial, set = new Set());
    set.add(socket);
    socket.on("close", () => {
      set.delete(socket);
      if (set.size === 0) sockets.delete(id.serial);
    });
  });
  deviceServer.on("tlsClientError", (err: Error, socket: TLSSocket) => {
    const code = (err as Error & { code?: string }).code;
    audit.log("mtls.refused", {
      reason: (code ? `${code}: ` : "") + err.message.slice(0, 120),
      ip: socket.remoteAddress,
      at: "handshake",
    });
  });
  injectWebSocket(deviceServer);
  ctx.revocations.onRevoked((serials) => {
    hub.closeSerials(serials, "certificate revoked");
    for (const s of serials) for (const sock of sockets.get(s) ?? []) sock.destroy();
    audit.log("revocation.enforced", { serials });
  });
  // user:remove / user:passwd in another process revoke login families: end
  // their live sessions too, not only their future requests.
  let familiesSince = Date.now();
  ctx.revocations.onChange(() => {
    const now = Date.now();
    for (const f of familiesRevokedSince(db, familiesSince - 1000)) {
      endFamilySessions(ctx, f, "session revoked");
    }
    familiesSince = now;
  });
  ctx.revocations.watch();
  await new Promise<void>((resolve, reject) => {
    deviceServer.once("error", reject);
    deviceServer.listen(config.devicePort, config.host, () => resolve());
  });
  const devicePort = (deviceServer.address() as AddressInfo).port;
  // With port 0 the real port is known only now; enrollment replies carry it.
  ctx.config = { ...ctx.config, devicePort };

  // --- public listener (HTTPS, HTTP/2) ---
  const app = publicApp(ctx);
  const operatorCert = config.tlsCertFile
    ? {
      cert: await Deno.readTextFile(config.tlsCertFile),
      key: await Deno.readTextFile(config.tlsKeyFile!),
    }
    : null;
  const servePublic = (cert: string, key: string, port: number) => {
    const ac = new AbortController();
    let listening!: (port: number) => void;
    const ready = new Promise<number>((r) => listening = r);
    const server = Deno.serve({
      hostname: config.host,
      port,
      cert,
      key,
      signal: ac.signal,
      onListen: ({ port }) => listening(port),
      onError: (err) => {
        console.error(`public: ${(err as Error).message}`);
        return new Response(JSON.stringify({ error: "internal", message: "internal error" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        });
      },
    }, (req, info) => app.fetch(req, { remoteAddr: (info.remoteAddr as Deno.NetAddr).hostname }));
    return {
      ready,
      stop: async () => {
        ac.abort();
        await server.finished;
      },
    };
  };
  let publicServer = servePublic(
    operatorCert?.cert ?? pki.serverCertPem + pki.caPem,
    operatorCert?.key ?? pki.serverKeyPem,
    config.port,
  );
  const publicPort = await publicServer.ready;

  // The server certificate lives 90 days: check twice a day and swap it in
  // without dropping device connections (setSecureContext) and with a brief
  // re-listen of the public port.
  const renewTimer = setInterval(async () => {
    try {
      const next = await ensurePki(config.dataDir, serverNames(config));
      if (!next.renewedServer) return;
      ctx.pki = next;
      deviceServer.setSecureContext({
        key: next.serverKeyPem,
        cert: next.serverCertPem + next.caPem,
        ca: [next.caPem],
      });
      if (!operatorCert) {
        await publicServer.stop();
        publicServer = servePublic(next.serverCertPem + next.caPem, next.serverKeyPem, publicPort);
        await publicServer.ready;
      }
      audit.log("pki.server_renewed", { notAfter: next.serverNotAfter.toISOString() });
    } catch (err) {
      console.error(`pki: server certificate renewal failed: ${(err as Error).message}`);
    }
  }, 12 * 3_600_000);
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;

  return {
    ctx,
    hub,
    publicPort,
    devicePort,
    publicUrl: `https://${shownHost}:${publicPort}`,
    caFingerprint: pki.caFingerprint,
    async close() {
      ctx.revocations.stop();
      hub.close();
      for (const set of sockets.values()) for (const s of set) s.destroy();
      await new Promise<void>((resolve) => deviceServer.close(() => resolve()));
      clearInterval(renewTimer);
      await publicServer.stop();
      audit.close();
      db.close();
    },
  };
}
