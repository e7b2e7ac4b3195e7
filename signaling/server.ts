/**
 * vigil's signaling server, composed: state (store, PKI, signing keys, audit
 * log), the domain (bus, presence, viewing sessions, device channels), the
 * revocation wiring, and the two listeners: public HTTPS (http/public_listener.ts)
 * and device mTLS (http/device_listener.ts).
 *
 * @example
 * ```ts
 * const server = await startServer(serverSettings({ dataDir: "./data", port: 0, devicePort: 0 }));
 * console.log(server.publicUrl, server.devicePort);
 * await server.close();
 * ```
 * @module
 */
import { join } from "node:path";
import { AuditLog } from "./audit/audit_log.ts";
import { loadKeyRing } from "./auth/jwt_keys.ts";
import { Throttle } from "./auth/rate_limit.ts";
import { InProcessBus } from "./bus/bus.ts";
import { ensurePki } from "./certs/pki_state.ts";
import { watchServerCertificate } from "./certs/renewal.ts";
import { serverNames } from "./certs/server_names.ts";
import type { ServerSettings } from "./config/settings.ts";
import type { ServerContext } from "./context.ts";
import { DeviceHub } from "./devices/hub.ts";
import { Presence } from "./devices/presence.ts";
import { RevocationList } from "./devices/revocation.ts";
import { startDeviceListener } from "./http/device_listener.ts";
import { publicApp } from "./http/public_app.ts";
import { startPublicListener } from "./http/public_listener.ts";
import { ViewingSessions } from "./sessions/viewing.ts";
import { openDatabase } from "./store/db.ts";

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
  // State.
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const db = openDatabase(join(config.dataDir, "vigil.db"));
  const pki = await ensurePki(config.dataDir, serverNames(config));
  const ring = await loadKeyRing(db, config.dataDir);
  const audit = new AuditLog(join(config.dataDir, "audit.log"));

  // Domain: everything talks through the bus.
  const bus = new InProcessBus();
  const presence = new Presence(bus);
  const viewing = new ViewingSessions({
    bus,
    presence,
    audit,
    db,
    limits: { perCamera: config.maxSessionsPerCamera, perViewer: config.maxSessionsPerViewer },
    answerTimeoutMs: config.answerTimeoutMs,
  });
  const hub = new DeviceHub({
    bus,
    presence,
    audit,
    heartbeatMs: config.heartbeatMs,
    timeoutMs: config.deviceTimeoutMs,
    iceServers: config.iceServers,
  });
  const ctx: ServerContext = {
    config,
    db,
    ring,
    pki,
    issuer: `urn:vigil:${pki.caFingerprint.replaceAll(":", "").slice(0, 16).toLowerCase()}`,
    audit,
    startedAt: Date.now(),
    bus,
    presence,
    revocations: new RevocationList(db),
    viewing,
    throttles: {
      loginUser: new Throttle({ freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 }),
      loginAddress: new Throttle({ freeFailures: 20, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 }),
      enrollAddress: new Throttle({ freeFailures: 5, baseDelayMs: 2000, maxDelayMs: 10 * 60_000 }),
    },
  };

  // Listeners. With port 0 the real device port is known only now; enrollment replies carry it.
  const devices = await startDeviceListener(ctx, hub);
  ctx.config = { ...ctx.config, devicePort: devices.port };
  const operatorCert = config.tlsCertFile && config.tlsKeyFile
    ? {
      cert: await Deno.readTextFile(config.tlsCertFile),
      key: await Deno.readTextFile(config.tlsKeyFile),
    }
    : null;
  const web = await startPublicListener(publicApp(ctx).fetch, {
    host: config.host,
    port: config.port,
    cert: operatorCert?.cert ?? pki.serverCertPem + pki.caPem,
    key: operatorCert?.key ?? pki.serverKeyPem,
  });

  // Revocation, also by operator commands in other processes (the store's
  // data_version is polled): revoked devices lose their connections at once,
  // revoked logins (logout elsewhere, user:remove, user:passwd) their sessions.
  ctx.revocations.onRevoked((serials) => {
    hub.closeSerials(serials, "certificate revoked");
    devices.destroySerials(serials);
    audit.log("revocation.enforced", { serials });
  });
  ctx.revocations.onChange(() => viewing.endRevokedFamilies());
  ctx.revocations.watch();

  // The server certificate is renewed while running: device connections stay
  // (setSecureContext); the public port re-listens unless the operator's own
  // certificate is used.
  const stopRenewal = watchServerCertificate({
    dataDir: config.dataDir,
    names: serverNames(config),
    onRenewed: async (next) => {
      ctx.pki = next;
      devices.setCertificate(next);
      if (!operatorCert) {
        await web.setCertificate(next.serverCertPem + next.caPem, next.serverKeyPem);
      }
      audit.log("pki.server_renewed", { notAfter: next.serverNotAfter.toISOString() });
    },
  });

  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    ctx,
    hub,
    publicPort: web.port,
    devicePort: devices.port,
    publicUrl: `https://${shownHost}:${web.port}`,
    caFingerprint: pki.caFingerprint,
    async close() {
      ctx.revocations.stop();
      viewing.close();
      hub.close();
      await devices.close();
      stopRenewal();
      await web.close();
      audit.close();
      db.close();
    },
  };
}
