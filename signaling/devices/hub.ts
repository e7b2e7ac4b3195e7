/**
 * The server side of device channels. One live connection per device (a newer
 * one replaces the older); while connected, the device answers the bus topics
 * `camera.<id>.offer` and `camera.<id>.restart` and receives
 * `camera.<id>.control` messages; the sessions it ended, or that end with its
 * channel, are announced on `session.<sid>.closed`, its reports of a
 * session's media path on `session.<sid>.state` (bus/topics.ts). Silence longer than the timeout,
 * revocation, certificate expiry or close marks the camera offline.
 * Independent of the WebSocket library: it talks to a {@linkcode DeviceSocket}.
 * @module
 */
import type { AuditLog } from "../audit/audit_log.ts";
import type { EventBus } from "../bus/bus.ts";
import { type OfferReply, type RestartReply, type StreamStats, topics } from "../bus/topics.ts";
import type { IceServer } from "../config/settings.ts";
import { parseDeviceMessage, type ServerMessage } from "./messages.ts";
import type { Presence } from "./presence.ts";

/** The minimal socket the hub needs. */
export interface DeviceSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

interface Connection {
  id: number;
  deviceId: string;
  serial: string;
  socket: DeviceSocket;
  /** The device's address as this listener saw it. */
  address: string;
  connectedAt: number;
  lastSeen: number;
  /** The publisher's software version (its `hello`). */
  version: string | null;
  /** Its last `stats` report, if any. */
  stats: CameraStats | null;
  /**
   * The channel ends when its certificate expires. The device token only
   * authorizes opening it (≤ 5 min): ending live channels at token expiry
   * would cut every viewer every five minutes.
   */
  expiresAt: number;
  /** Offers relayed and not answered yet. */
  pending: Map<string, (reply: OfferReply) => void>;
  /** Sessions answered and not closed yet: they end with this channel. */
  sessions: Set<string>;
  /** ICE restarts relayed and not answered yet (one per session). */
  restarts: Map<string, (reply: RestartReply) => void>;
  cleanup: (() => void)[];
}

/** Options of the hub. */
export interface DeviceHubOptions {
  bus: EventBus;
  presence: Presence;
  audit: AuditLog;
  heartbeatMs: number;
  timeoutMs: number;
  /** ICE server URLs for `welcome` (the publisher's launcher grants exactly these). */
  iceServers: IceServer[];
  /** A fresh list with the publisher's own TURN credential, for each offer and restart. */
  sessionIceServers?: () => Promise<IceServer[]>;
}

/** A publisher's last `stats` report (see messages.ts). */
export type CameraStats = StreamStats;

/** A live channel as the console shows it (`/api/admin/devices`). */
export interface ChannelInfo {
  deviceId: string;
  serial: string;
  address: string;
  connectedAt: number;
  lastSeen: number;
  version: string | null;
  /** When its certificate expires (ms), the channel with it. */
  certExpiresAt: number | null;
  /** The publisher's last `stats` report, or null before one. */
  stats: CameraStats | null;
}

/** Tracks live device connections. */
export class DeviceHub {
  #conns = new Map<string, Connection>();
  /** Last message time of every device seen since start (kept after it left). */
  #lastSeen = new Map<string, number>();
  #nextId = 1;
  #sweeper: ReturnType<typeof setInterval>;

  constructor(private readonly o: DeviceHubOptions) {
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(1000, o.timeoutMs / 4));
  }

  /** Whether a device has a live channel. */
  isConnected(deviceId: string): boolean {
    return this.#conns.has(deviceId);
  }

  /** This node's live channels, by device id. */
  channels(): ChannelInfo[] {
    return [...this.#conns.values()].map((c) => ({
      deviceId: c.deviceId,
      serial: c.serial,
      address: c.address,
      connectedAt: c.connectedAt,
      lastSeen: c.lastSeen,
      version: c.version,
      certExpiresAt: Number.isFinite(c.expiresAt) ? c.expiresAt : null,
      stats: c.stats,
    })).sort((a, b) => a.deviceId < b.deviceId ? -1 : 1);
  }

  /** The last `stats` of each camera connected here (its series end when it leaves). */
  cameraStats(): { camera: string; stats: CameraStats }[] {
    return [...this.#conns.values()].flatMap((c) =>
      c.stats ? [{ camera: c.deviceId, stats: c.stats }] : []
    );
  }

  /** Every device seen on this node since start, with when it last spoke. */
  seen(): { deviceId: string; at: number }[] {
    const all = new Map(this.#lastSeen);
    for (const c of this.#conns.values()) all.set(c.deviceId, c.lastSeen);
    return [...all].map(([deviceId, at]) => ({ deviceId, at }));
  }

  /** When a device last spoke on a channel to this node (null: not since start). */
  lastSeen(deviceId: string): number | null {
    return this.#conns.get(deviceId)?.lastSeen ?? this.#lastSeen.get(deviceId) ?? null;
  }

  /** Number of live channels. */
  get size(): number {
    return this.#conns.size;
  }

  /** Registers a new authenticated channel; returns its message and close callbacks. */
  attach(
    deviceId: string,
    serial: string,
    socket: DeviceSocket,
    expiresAt = Infinity,
    address = "",
  ) {
    const old = this.#conns.get(deviceId);
    if (old) this.#drop(old, 4000, "replaced by a newer connection");
    const now = Date.now();
    const conn: Connection = {
      id: this.#nextId++,
      deviceId,
      serial,
      socket,
      address,
      connectedAt: now,
      lastSeen: now,
      version: null,
      stats: null,
      expiresAt,
      pending: new Map(),
      sessions: new Set(),
      restarts: new Map(),
      cleanup: [],
    };
    this.#conns.set(deviceId, conn);
    const { bus } = this.o;
    conn.cleanup.push(
      bus.respond(topics.offer(deviceId), (req) => {
        return this.#iceServers().then((iceServers) =>
          new Promise<OfferReply>((resolve) => {
            conn.pending.set(req.sessionId, resolve);
            this.#send(conn, { type: "offer", ...req, ...iceServers });
          })
        );
      }),
      bus.respond(topics.restart(deviceId), (req) => {
        if (!conn.sessions.has(req.sessionId)) {
          return { status: 404 as const, message: "no such session on this camera" };
        }
        return this.#iceServers().then((iceServers) =>
          new Promise<RestartReply>((resolve) => {
            // One at a time per session: a newer request (the older one timed out) supersedes it.
            conn.restarts.get(req.sessionId)?.({
              status: 409,
              message: "superseded by a newer ICE restart",
            });
            conn.restarts.set(req.sessionId, resolve);
            this.#send(conn, { type: "restart", ...req, ...iceServers });
          })
        );
      }),
      bus.subscribe(topics.control(deviceId), (m) => {
        if (m.type === "close") {
          conn.pending.delete(m.sessionId);
          conn.sessions.delete(m.sessionId);
          this.#settleRestart(conn, m.sessionId, { status: 404, message: "the session ended" });
        }
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

  /** `{iceServers}` with fresh credentials for one offer or restart, or nothing. */
  async #iceServers(): Promise<{ iceServers?: IceServer[] }> {
    return this.o.sessionIceServers ? { iceServers: await this.o.sessionIceServers() } : {};
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
        conn.version = m.version;
        this.o.presence.online(conn.deviceId, m.camera.label ?? "", m.maxViewers ?? null);
        break;
      case "heartbeat":
        this.#send(conn, { type: "heartbeat", t: m.t });
        break;
      case "stats": {
        const { type: _t, ...stats } = m;
        conn.stats = stats;
        break;
      }
      case "answer":
      case "reject": {
        const resolve = conn.pending.get(m.sessionId);
        if (!resolve) {
          this.#send(conn, { type: "error", message: `no pending offer ${m.sessionId}` });
          return;
        }
        conn.pending.delete(m.sessionId);
        if (m.type === "answer") conn.sessions.add(m.sessionId);
        resolve(m.type === "answer" ? { sdp: m.sdp } : { status: m.status, message: m.message });
        break;
      }
      case "restarted":
      case "restart-failed": {
        const reply: RestartReply = m.type === "restarted"
          ? { sdpfrag: m.sdpfrag }
          : { status: m.status, message: m.message };
        if (!this.#settleRestart(conn, m.sessionId, reply)) {
          this.#send(conn, { type: "error", message: `no pending ICE restart ${m.sessionId}` });
        }
        break;
      }
      case "session": {
        // Only a session this channel answered.
        if (!conn.sessions.has(m.sessionId)) break;
        this.o.bus.publish(topics.sessionState(m.sessionId), {
          camera: conn.deviceId,
          state: m.state,
          pair: m.pair,
        });
        break;
      }
      case "close": {
        // Only a session this channel answered: a device cannot end another camera's.
        if (!conn.sessions.delete(m.sessionId)) break;
        this.#settleRestart(conn, m.sessionId, { status: 404, message: "the session ended" });
        this.o.bus.publish(topics.sessionClosed(m.sessionId), {
          camera: conn.deviceId,
          cause: "publisher",
          reason: m.reason,
        });
        break;
      }
    }
  }

  /** Resolves the session's pending ICE restart, if any; false when there was none. */
  #settleRestart(conn: Connection, sessionId: string, reply: RestartReply): boolean {
    const resolve = conn.restarts.get(sessionId);
    if (!resolve) return false;
    conn.restarts.delete(sessionId);
    resolve(reply);
    return true;
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
      this.#lastSeen.set(conn.deviceId, conn.lastSeen);
      this.o.presence.offline(conn.deviceId);
    }
    for (const fn of conn.cleanup.splice(0)) fn();
    // Its sessions, answered or still negotiating, end with the channel.
    for (const sessionId of [...conn.sessions, ...conn.pending.keys()]) {
      this.o.bus.publish(topics.sessionClosed(sessionId), {
        camera: conn.deviceId,
        cause: "offline",
        reason: "publisher offline",
      });
    }
    conn.sessions.clear();
    for (const resolve of conn.pending.values()) {
      resolve({ status: 503, message: "the camera went offline" });
    }
    conn.pending.clear();
    for (const resolve of conn.restarts.values()) {
      resolve({ status: 409, message: "the camera went offline" });
    }
    conn.restarts.clear();
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
