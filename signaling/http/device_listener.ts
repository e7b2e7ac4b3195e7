/**
 * The device listener: mTLS on `node:https` (Deno.serve cannot ask for
 * client certificates), serving the device routes and the device channel
 * WebSocket. A connection is refused at `secureConnection` unless its
 * certificate identifies a device and is not revoked; node:https in Deno
 * ignores the `crl` option, so revocation is enforced here and per request
 * (routes/device.ts).
 * @module
 */
import { createAdaptorServer } from "@hono/node-server";
import { createNodeWebSocket } from "@hono/node-ws";
import { Hono } from "hono";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { PkiState } from "../certs/pki_state.ts";
import type { ServerContext } from "../context.ts";
import type { DeviceHub } from "../devices/hub.ts";
import { identify } from "../devices/identity.ts";
import { MAX_DEVICE_FRAME } from "../devices/messages.ts";
import { limitBody } from "./body_limit.ts";
import { endAfterFlush, guardConnections, MAX_HEADER_BYTES } from "./connection_guard.ts";
import type { Socket } from "node:net";
import { deviceRoutes } from "./routes/device.ts";
import { problem } from "./routes/errors.ts";

/** The largest request body of the device routes (a renewal CSR is ≤ 16 KiB). */
export const MAX_DEVICE_BODY = 64 * 1024;
/** Segment uploads: their own size cap while streaming, and paced, so a longer body time. */
const RECORDINGS_PATH = "/device/recordings/";
const RECORDING_BODY_TIMEOUT_MS = 10 * 60_000;

/** A listening device listener. */
export interface DeviceListener {
  /** The port it listens on (the real one when asked for port 0). */
  port: number;
  /** Serves a renewed server certificate to new connections; open ones stay. */
  setCertificate(pki: PkiState): void;
  /** Destroys the TLS connections of these certificate serials (revocation). */
  destroySerials(serials: string[]): void;
  close(): Promise<void>;
}

function tlsOptions(pki: PkiState) {
  return { key: pki.serverKeyPem, cert: pki.serverCertPem + pki.caPem, ca: [pki.caPem] };
}

/** Starts the device listener on `ctx.config.host`:`ctx.config.devicePort`. */
export async function startDeviceListener(
  ctx: ServerContext,
  hub: DeviceHub,
): Promise<DeviceListener> {
  const app = new Hono();
  const { injectWebSocket, upgradeWebSocket, wss } = createNodeWebSocket({ app });
  // `ws` refuses a frame whose header announces more than this (close 1009)
  // before reading its payload; its default is 100 MiB. @hono/node-ws 1.3.1
  // takes no server options, so the limit is set on its server's options,
  // which every upgrade reads.
  wss.options.maxPayload = MAX_DEVICE_FRAME;
  // After a refusal (1009) `ws` keeps reading (and Deno's socket buffering)
  // until the peer's close or 30 s: the connection ends once the close frame
  // is flushed.
  wss.on("connection", (ws: { once(event: "error", f: () => void): void }) => {
    ws.once("error", () => {
      const socket = (ws as unknown as { _socket?: Socket })._socket;
      if (socket) endAfterFlush(socket);
    });
  });
  // Bodies: refused on Content-Length, else counted while streaming (413).
  // On the routes that read a body; recording uploads stream to disk under
  // their own cap (routes/device_recordings.ts); any other route never reads
  // one (an unread body ends the connection: connection_guard.ts).
  const limit = limitBody(
    MAX_DEVICE_BODY,
    (c) => problem(c, 413, "too_large", `the request body exceeds ${MAX_DEVICE_BODY} bytes`),
  );
  for (const path of ["/device/token", "/device/renew", "/device/ws"]) app.use(path, limit);
  app.route("/", deviceRoutes(ctx, hub, upgradeWebSocket) as unknown as Hono);
  app.notFound((c) => problem(c, 404, "not_found", "not found"));
  app.onError((err, c) => {
    console.error(`device: ${c.req.method} ${c.req.path}: ${err.message}`);
    return problem(c, 500, "internal", "internal error");
  });

  const server = createAdaptorServer({
    fetch: app.fetch,
    createServer: https.createServer,
    serverOptions: {
      ...tlsOptions(ctx.pki),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    overrideGlobalObjects: false,
  }) as unknown as https.Server;
  guardConnections(server, {
    maxPerAddress: ctx.config.maxConnectionsPerAddress,
    headersTimeoutMs: ctx.config.headersTimeoutMs,
    bodyTimeoutMs: ctx.config.bodyTimeoutMs,
    bodyTimeoutFor: (url) => url.startsWith(RECORDINGS_PATH) ? RECORDING_BODY_TIMEOUT_MS : null,
  }, (reason, ip) => ctx.audit.log("connection.refused", { listener: "device", reason, ip }));

  const bySerial = new Map<string, Set<TLSSocket>>();
  server.on("secureConnection", (socket: TLSSocket) => {
    const id = identify(socket);
    if (typeof id === "string" || ctx.revocations.isRevoked(id.serial)) {
      ctx.audit.log("mtls.refused", {
        reason: typeof id === "string" ? id : "revoked",
        ip: socket.remoteAddress,
        at: "connection",
      });
      socket.destroy();
      return;
    }
    let set = bySerial.get(id.serial);
    if (!set) bySerial.set(id.serial, set = new Set());
    set.add(socket);
    socket.on("close", () => {
      set.delete(socket);
      if (set.size === 0) bySerial.delete(id.serial);
    });
  });
  server.on("tlsClientError", (err: Error, socket: TLSSocket) => {
    const code = (err as Error & { code?: string }).code;
    ctx.audit.log("mtls.refused", {
      reason: (code ? `${code}: ` : "") + err.message.slice(0, 120),
      ip: socket.remoteAddress,
      at: "handshake",
    });
  });
  injectWebSocket(server);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(ctx.config.devicePort, ctx.config.host, () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    setCertificate: (pki) => server.setSecureContext(tlsOptions(pki)),
    destroySerials(serials) {
      for (const s of serials) for (const socket of bySerial.get(s) ?? []) socket.destroy();
    },
    async close() {
      for (const set of bySerial.values()) for (const s of set) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
