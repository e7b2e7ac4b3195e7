/**
 * The server side of device channels. One live connection per device (a newer
 * one replaces the older); while connected, the device answers the bus topic
 * `camera.<id>.offer` and receives `camera.<id>.control` messages. Silence
 * longer than the timeout, revocation or close marks the camera offline.
 * Independent of the WebSocket library: it talks to a {@linkcode DeviceSocket}.
 * @module
 */
import type { AuditLog } from "../audit/audit_log.ts";
import type { EventBus } from "../bus/bus.ts";
import { parseDeviceMessage, type ServerMessage } from "./messages.ts";
import type { Presence } from "./presence.ts";
import type { WhepSessions } from "../sessions/table.ts";

/** The minimal socket the hub needs. */
export interface DeviceSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** Offer request on `camera.<id>.offer`. */
export interface OfferRequest {
  sessionId: string;
  sdp: string;
  viewer: string;
}

/** Reply to an offer request. */
export type OfferReply = { sdp: string } | { status: 400 | 429 | 503; message: string };

/** Control messages on `camera.<id>.control`. */
export type ControlMessage =
  | { type: "candidate"; sessionId: string; candidate: string }
  | { type: "close"; sessionId: string; reason: string };

interface Connection {
  id: number;
  deviceId: string;
  serial: string;
  socket: DeviceSocket;
  lastSeen: number;
  /**
   * The channel ends when its certificate expires. The device token only
   * authorizes opening it (≤ 5 min): ending live channels at token expiry
   * would cut every viewer every five minutes.
   */
  expiresAt: number;
  pending: Map<string, (reply: OfferReply) => void>;
  cleanup: (() => void)[];
  helloed: boolean;
}

/** Options of the hub. */
export interface DeviceHubOptions {
  bus: EventBus;
  presence: Presence;
  sessions: WhepSessions;
  audit: AuditLog;
  heartbeatMs: number;
  timeoutMs: number;
  iceServers: { urls: string[]; username?: string; credential?: string }[];
}

/** Tracks live device connections. */
export class DeviceHub {
  #conns = new Map<string, Connection>();
  #nextId = 1;
  #sweeper: ReturnType<typeof setInterval>;

  constructor(private readonly o: DeviceHubOptions) {
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(1000, o.timeoutMs / 4));
  }

  /** Whether a device has a live channel. */
  isConnected(deviceId: string): boolean {
    return this.#conns.has(deviceId);
  }

  /** Number of live channels. */
  get size(): number {
    return this.#conns.size;
  }

  /** Registers a new authenticated channel; returns its message and close callbacks. */
  attach(deviceId: string, serial: string, socket: DeviceSocket, expiresAt = Infinity) {
    const old = this.#conns.get(deviceId);
    if (old) this.#drop(old, 4000, "replaced by a newer connection");
    const conn: Connection = {
      id: this.#nextId++,
      deviceId,
      serial,
      socket,
      lastSeen: Date.now(),
      expiresAt,
      pending: new Map(),
      cleanup: [],
      helloed: false,
    };
    this.#conns.set(deviceId, conn);
    const { bus } = this.o;
    conn.cleanup.push(
      bus.respond<OfferRequest, OfferReply>(`camera.${deviceId}.offer`, (req) => {
        return new Promise<OfferReply>((resolve) => {
          conn.pending.set(req.sessionId, resolve);
          this.#send(conn, { type: "offer", ...req });
        });
      }),
      bus.subscribe<ControlMessage>(`camera.${deviceId}.control`, (m) => {
        conn.pending.delete(m.sessionId);
        this.#send(conn, m);
      }),
    );
    this.#send(conn, {
      type: "welcome",
      deviceId,
      heartbeatMs: this.o.heartbeatMs,
      iceServers: this.o.iceServers,
    });
    this.o.audit.log("device.connected", { device: deviceId, serial });
    return {
      onMessage: (text: string) => this.#onMessage(conn, text),
      onClose: () => this.#drop(conn, 1000, "closed"),
    };
  }

  /** Closes the channels of the given certificate serials (revocation). */
  closeSerials(serials: string[], reason: string): void {
    const set = new Set(serials);
    for (const c of [...this.#conns.values()]) if (set.has(c.serial)) this.#drop(c, 4003, reason);
  }

  /** Closes a device's channel. */
  closeDevice(deviceId: string, reason: string): void {
    const c = this.#conns.get(deviceId);
    if (c) this.#drop(c, 4003, reason);
  }

  /** Closes everything (server shutdown). */
  close(): void {
    clearInterval(this.#sweeper);
    for (const c of [...this.#conns.values()]) this.#drop(c, 1001, "server shutting down");
  }

  #onMessage(conn: Connection, text: string): void {
    if (this.#conns.get(conn.deviceId) !== conn) return;
    conn.lastSeen = Date.now();
    const parsed = parseDeviceMessage(text);
    if (!parsed.ok) {
      this.o.audit.log("device.bad_message", { device: conn.deviceId, reason: parsed.error });
      this.#send(conn, { type: "error", message: parsed.error });
      return;
    }
    const m = parsed.message;
    switch (m.type) {
      case "hello":
        conn.helloed = true;
        this.o.presence.online(conn.deviceId, m.camera.label ?? "");
        break;
      case "heartbeat":
        this.#send(conn, { type: "heartbeat", t: m.t });
        break;
      case "answer":
      case "reject": {
        const resolve = conn.pending.get(m.sessionId);
        if (!resolve) {
          this.#send(conn, { type: "error", message: `no pending offer ${m.sessionId}` });
          return;
        }
        conn.pending.delete(m.sessionId);
        resolve(m.type === "answer" ? { sdp: m.sdp } : { status: m.status, message: m.message });
        break;
      }
      case "close": {
        const s = this.o.sessions.get(m.sessionId);
        if (s && s.camera === conn.deviceId) {
          this.o.sessions.remove(m.sessionId);
          this.o.bus.publish(`session.${m.sessionId}.closed`, { reason: m.reason });
          this.o.audit.log("session.end", {
            session: m.sessionId,
            camera: s.camera,
            viewer: s.viewer,
            by: "publisher",
            reason: m.reason,
          });
        }
        break;
      }
    }
  }

  #send(conn: Connection, m: ServerMessage): void {
    try {
      conn.socket.send(JSON.stringify(m));
    } catch {
      // A send on a closing socket: its close handler cleans up.
    }
  }

  #drop(conn: Connection, code: number, reason: string): void {
    if (this.#conns.get(conn.deviceId) === conn) {
      this.#conns.delete(conn.deviceId);
      this.o.presence.offline(conn.deviceId);
      for (const s of this.o.sessions.removeCamera(conn.deviceId)) {
        this.o.bus.publish(`session.${s.id}.closed`, { reason: "publisher offline" });
      }
    }
    for (const fn of conn.cleanup.splice(0)) fn();
    for (const resolve of conn.pending.values()) {
      resolve({ status: 503, message: "the camera went offline" });
    }
    conn.pending.clear();
    try {
      conn.socket.close(code, reason);
    } catch {
      // already closed
    }
    if (code !== 1000) {
      this.o.audit.log("device.disconnected", { device: conn.deviceId, code, reason });
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const c of [...this.#conns.values()]) {
      if (now - c.lastSeen > this.o.timeoutMs) this.#drop(c, 4008, "heartbeat timeout");
      else if (now >= c.expiresAt) this.#drop(c, 4001, "certificate expired; renew and reconnect");
    }
  }
}
