/**
 * The device channel client: mTLS `POST /device/token`, then a WebSocket to
 * `/device/ws` with the token as Bearer and the device certificate; `hello`
 * after `welcome`, heartbeats, offers → answers/rejects, trickled candidates,
 * ICE restarts → restarted/restart-failed, reports of connected sessions,
 * closes in both directions. Reconnects with exponential backoff and jitter
 * (a fresh token each time: tokens live ≤ 5 min, an open socket stays
 * authorized), and reloads the state each time so a renewed certificate is used.
 *
 * @module
 */

import type { StatsReport } from "./stats_report.ts";
import type { Logger } from "../../lib/log.ts";
import type { IceServer } from "../peer/viewer_peer.ts";
import type { OfferResult, RestartResult } from "../peer/session_manager.ts";
import {
  backoffDelay,
  type CameraInfo,
  deviceFrames,
  parseServerFrame,
  type SelectedPair,
} from "./channel_messages.ts";
import { oneLine, postJson } from "./http.ts";
import { mtlsClient } from "./renew_client.ts";
import { deviceBaseUrl, type DeviceState } from "./state.ts";

/** What the channel drives: the session manager. */
export interface SessionHandler {
  offer(sessionId: string, sdp: string, iceServers?: IceServer[]): Promise<OfferResult>;
  candidate(sessionId: string, frag: string): Promise<boolean>;
  restart(sessionId: string, frag: string, iceServers?: IceServer[]): Promise<RestartResult>;
  close(sessionId: string, reason?: string): Promise<void>;
}

/** Options of {@linkcode DeviceChannel}. */
export interface DeviceChannelOptions {
  /** Current device state (called before each connection: picks up renewals). */
  loadState: () => Promise<DeviceState>;
  /** Session manager. */
  sessions: SessionHandler;
  /** Camera facts for `hello`. */
  camera: CameraInfo;
  /** The viewer limit, told in `hello` (the server then admits no more). */
  maxViewers: number;
  /** Publisher version for `hello`. */
  version: string;
  /** Logger. */
  logger: Logger;
  /** Called with every `welcome`'s ICE servers (the URLs the launcher should grant). */
  onIceServers?: (servers: IceServer[]) => void;
  /** The `stats` report for the server's `/metrics`, sent every `statsIntervalMs` while online. */
  stats?: () => StatsReport;
  /** Default 5 s. */
  statsIntervalMs?: number;
  /** Backoff base (default 500 ms) and cap (default 30 s). */
  backoff?: { baseMs?: number; capMs?: number };
}

/** Connection state of the channel. */
export type ChannelState = "idle" | "connecting" | "open" | "backoff" | "stopped";

/** The device's signaling connection. */
export class DeviceChannel {
  readonly #o: DeviceChannelOptions;
  #state: ChannelState = "idle";
  #ws: WebSocket | null = null;
  #client: Deno.HttpClient | null = null;
  #iceServers: IceServer[] = [];
  #attempt = 0;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #lastRx = 0;
  #stopped = false;
  #connectedOnce: { resolve: () => void; promise: Promise<void> };

  constructor(o: DeviceChannelOptions) {
    this.#o = o;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#connectedOnce = { resolve, promise };
  }

  /** The ICE servers of the latest welcome (`[]` before the first). */
  get iceServers(): IceServer[] {
    return this.#iceServers;
  }

  /** Current state. */
  get state(): ChannelState {
    return this.#state;
  }

  /** Resolves at the first welcome. */
  get welcomed(): Promise<void> {
    return this.#connectedOnce.promise;
  }

  /** Starts connecting (returns at once). */
  start(): void {
    if (this.#state !== "idle") return;
    this.#connect();
  }

  /** Drops the current connection and connects again now (e.g. after a renewal). */
  reconnect(): void {
    if (this.#stopped) return;
    this.#attempt = 0;
    this.#teardown(1000, "reconnecting");
    this.#connect();
  }

  /** Tells the server a session's media connected (again) over a pair of these candidate types. */
  sendConnected(sessionId: string, pair: SelectedPair): void {
    this.#send(deviceFrames.connected(sessionId, pair));
  }

  /** Tells the server the publisher ended a session. */
  sendClose(sessionId: string, reason: string): void {
    this.#send(deviceFrames.close(sessionId, reason));
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.#stopped = true;
    this.#state = "stopped";
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#teardown(1000, "publisher stopping");
  }

  #send(frame: string): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame);
    return true;
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #teardown(code: number, reason: string): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen =
        ws.onmessage =
        ws.onclose =
        ws.onerror =
          null;
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
    this.#client?.close();
    this.#client = null;
  }

  #scheduleReconnect(why: string): void {
    if (this.#stopped) return;
    this.#teardown(1000, "reconnect");
    const delay = backoffDelay(this.#attempt++, this.#o.backoff);
    this.#state = "backoff";
    this.#o.logger.warn(`channel: ${why}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
    this.#later(() => this.#connect(), delay);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    this.#state = "connecting";
    let state: DeviceState;
    let token: string;
    try {
      state = await this.#o.loadState();
      this.#client = mtlsClient(state);
      const { json } = await postJson(
        `${deviceBaseUrl(state.config)}/device/token`,
        undefined,
        this.#client,
      );
      token = (json as { token?: unknown }).token as string;
      if (typeof token !== "string" || token.length === 0) throw new Error("no token in reply");
    } catch (err) {
      this.#scheduleReconnect(`token request failed: ${oneLine(err)}`);
      return;
    }
    if (this.#stopped) return this.#teardown(1000, "stopped");
    const url = `${deviceBaseUrl(state.config).replace(/^https:/, "wss:")}/device/ws`;
    let ws: WebSocket;
    try {
      // Deno: custom headers and an mTLS client on a WebSocket.
      const init = { headers: { Authorization: `Bearer ${token}` }, client: this.#client };
      ws = new WebSocket(url, init as unknown as string[]);
    } catch (err) {
      this.#scheduleReconnect(`websocket failed: ${oneLine(err)}`);
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#state = "open";
      this.#lastRx = Date.now();
    };
    ws.onmessage = (e) => {
      this.#lastRx = Date.now();
      if (typeof e.data === "string") this.#onFrame(e.data);
    };
    ws.onerror = () => {}; // onclose follows
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#scheduleReconnect(`channel closed (${e.code}${e.reason ? " " + e.reason : ""})`);
    };
  }

  #onFrame(text: string): void {
    const f = parseServerFrame(text);
    if (!f) {
      this.#o.logger.warn("channel: ignored a malformed frame");
      return;
    }
    switch (f.type) {
      case "welcome":
        this.#attempt = 0;
        this.#iceServers = f.iceServers;
        this.#o.onIceServers?.(f.iceServers);
        this.#send(deviceFrames.hello(this.#o.camera, this.#o.version, this.#o.maxViewers));
        this.#startHeartbeat(f.heartbeatMs);
        this.#startStats();
        this.#o.logger.info(
          `channel: online as ${f.deviceId} (heartbeat ${f.heartbeatMs} ms, ${f.iceServers.length} ICE servers)`,
        );
        this.#connectedOnce.resolve();
        break;
      case "offer":
        this.#onOffer(f.sessionId, f.sdp, f.iceServers);
        break;
      case "candidate":
        this.#o.sessions.candidate(f.sessionId, f.candidate).catch((err) =>
          this.#o.logger.warn(`channel: candidate for ${f.sessionId}: ${oneLine(err)}`)
        );
        break;
      case "restart":
        this.#onRestart(f.sessionId, f.sdpfrag, f.iceServers);
        break;
      case "close":
        this.#o.logger.info(
          `session ${f.sessionId}: closed by server (${f.reason ?? "no reason"})`,
        );
        this.#o.sessions.close(f.sessionId, f.reason ?? "closed by server").catch(() => {});
        break;
      case "heartbeat":
        break;
      case "error":
        this.#o.logger.warn(`channel: server says: ${f.message ?? "error"}`);
        break;
    }
  }

  async #onOffer(sessionId: string, sdp: string, iceServers?: IceServer[]): Promise<void> {
    const started = performance.now();
    let r: OfferResult;
    try {
      r = await this.#o.sessions.offer(sessionId, sdp, iceServers);
    } catch (err) {
      r = { ok: false, status: 400, message: oneLine(err) };
    }
    const ms = (performance.now() - started).toFixed(0);
    if (r.ok) {
      if (!this.#send(deviceFrames.answer(sessionId, r.sdp))) {
        await this.#o.sessions.close(sessionId, "channel lost before answer");
        return;
      }
      this.#o.logger.info(`session ${sessionId}: answered in ${ms} ms`);
    } else {
      this.#send(deviceFrames.reject(sessionId, r.status, r.message));
      this.#o.logger.warn(`session ${sessionId}: rejected ${r.status} ${r.message}`);
    }
  }

  async #onRestart(sessionId: string, frag: string, iceServers?: IceServer[]): Promise<void> {
    let r: RestartResult;
    try {
      r = await this.#o.sessions.restart(sessionId, frag, iceServers);
    } catch (err) {
      r = { ok: false, status: 409, message: oneLine(err) };
    }
    if (r.ok) {
      this.#send(deviceFrames.restarted(sessionId, r.sdpfrag));
      this.#o.logger.info(`session ${sessionId}: ICE restarted`);
    } else {
      this.#send(deviceFrames.restartFailed(sessionId, r.status, r.message));
      this.#o.logger.warn(`session ${sessionId}: ICE restart refused ${r.status} ${r.message}`);
    }
  }

  #startStats(): void {
    const stats = this.#o.stats;
    if (!stats) return;
    clearInterval(this.#statsTimer);
    this.#statsTimer = setInterval(() => {
      try {
        this.#send(deviceFrames.stats(stats()));
      } catch (err) {
        this.#o.logger.warn(`channel: stats: ${oneLine(err)}`);
      }
    }, this.#o.statsIntervalMs ?? 5000);
  }

  #startHeartbeat(ms: number): void {
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastRx > ms * 4) {
        this.#scheduleReconnect("server silent");
        return;
      }
      this.#send(deviceFrames.heartbeat(Date.now()));
    }, ms);
  }
}
