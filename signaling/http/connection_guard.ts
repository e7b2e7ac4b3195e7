/**
 * Per-connection limits of a `node:https` listener, enforced on the socket
 * while it is read (Deno's node:http ignores `headersTimeout` and
 * `requestTimeout`, so they are implemented here):
 *
 * - at most `maxPerAddress` open connections per remote address: more are
 *   destroyed at accept, before the TLS handshake;
 * - the TLS handshake plus each request's line and headers within
 *   `headersTimeoutMs` (also the idle time allowed between keep-alive
 *   requests);
 * - each request body completely within `bodyTimeoutMs` after its headers;
 * - a response sent before its request body was read (a 4xx refusal) ends the
 *   connection as soon as the status is flushed: the unread rest is never
 *   read into memory.
 *
 * Upgraded connections (the device WebSocket) leave the guard's timers: the
 * channel has its own heartbeat timeout. The header size limit is node's
 * `maxHeaderSize` (431), set where the server is created.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import type { Socket } from "node:net";

/** The guard's limits. */
export interface ConnectionLimits {
  maxPerAddress: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** A route's own body time (ms) by request URL, null: `bodyTimeoutMs`. */
  bodyTimeoutFor?: (url: string) => number | null;
}

/** Why the guard closed a connection (for the audit log). */
export type GuardBreach = "too many connections" | "headers timeout" | "body timeout";

/** Longest wait for a refusal to flush before its connection is destroyed anyway. */
const FLUSH_WAIT_MS = 2000;

/**
 * Ends `socket` once what was written is flushed (FIN), then destroys it: a
 * peer still sending cannot make the server read (and hold) more.
 */
export function endAfterFlush(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), FLUSH_WAIT_MS);
  socket.end(() => {
    clearTimeout(timer);
    socket.destroy();
  });
}

/** The largest request header block (bytes) both listeners accept: 431 beyond it. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Installs the guard on `server`. `report` hears closed connections, at most
 * once a minute per address and reason (a flood must not flood the audit log).
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  report: (reason: GuardBreach, address: string) => void,
): void {
  const reported = new Map<string, number>();
  const onBreach = (reason: GuardBreach, address: string) => {
    const key = `${reason}|${address}`;
    const now = Date.now();
    if ((reported.get(key) ?? 0) > now) return;
    if (reported.size > 10_000) reported.clear();
    reported.set(key, now + 60_000);
    report(reason, address);
  };
  const perAddress = new Map<string, number>();
  // One timer per connection, keyed by the raw TCP socket (the TLS socket's `_parent`).
  const timers = new WeakMap<Socket, ReturnType<typeof setTimeout>>();
  const raw = (s: Socket) => ((s as Socket & { _parent?: Socket })._parent ?? s);
  const clear = (s: Socket) => {
    clearTimeout(timers.get(raw(s)));
    timers.delete(raw(s));
  };
  const arm = (s: Socket, ms: number, reason: GuardBreach) => {
    clear(s);
    timers.set(
      raw(s),
      setTimeout(() => {
        onBreach(reason, raw(s).remoteAddress ?? "");
        s.destroy();
      }, ms),
    );
  };

  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    const open = (perAddress.get(address) ?? 0) + 1;
    if (open > limits.maxPerAddress) {
      onBreach("too many connections", address);
      socket.destroy();
      return;
    }
    perAddress.set(address, open);
    socket.once("close", () => {
      clear(socket);
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n <= 0) perAddress.delete(address);
      else perAddress.set(address, n);
    });
    arm(socket, limits.headersTimeoutMs, "headers timeout");
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (req.complete || req.readableEnded) clear(socket);
    else {
      const ms = limits.bodyTimeoutFor?.(req.url ?? "") ?? limits.bodyTimeoutMs;
      arm(socket, ms, "body timeout");
      req.once("end", () => clear(socket));
    }
    res.once("finish", () => {
      if (!req.complete) {
        // Answered before the body was read (a refusal): Deno's sockets keep
        // reading into memory even when paused, so the connection ends as soon
        // as the status is flushed (FIN, then destroy).
        endAfterFlush(socket);
        return;
      }
      // Keep-alive: the next request's headers are due within the same time.
      if (!socket.destroyed) arm(socket, limits.headersTimeoutMs, "headers timeout");
    });
  });

  server.on("upgrade", (req: IncomingMessage) => clear(req.socket));
}
