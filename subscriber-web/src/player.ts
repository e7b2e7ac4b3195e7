/**
 * Plays one camera: runs WHEP sessions into a <video>, watches that video
 * actually arrives, and reconnects with back-off when it does not.
 *
 * A broken network path (ICE `disconnected` for `disconnectGraceMs`, ICE
 * `failed`, or frames stopping for `stallMs`) of a session that played is
 * first repaired in place: an ICE restart through the WHEP session (PATCH
 * with `If-Match: "*"`), same session, same DTLS; when the camera refuses it
 * or video does not resume within `restartTimeoutMs`, a new session follows.
 *
 * New-session triggers: the offer fails with a retryable status; ICE never
 * connects; the DTLS transport is closed by the camera; "connected" but no
 * decoded frame within `watchdogMs` (seen on werift: connected on both
 * sides yet never a frame); an ICE restart that did not help; the camera
 * comes back online (presence).
 */

import { Backoff } from "./backoff.ts";
import { computeStats, snapshotFromReport, type StatsSnapshot, type ViewerStats } from "./stats.ts";
import { type WhepApi, WhepError, WhepSession } from "./whep.ts";

export type PlayerState =
  | "idle"
  | "connecting"
  | "waiting-video"
  | "playing"
  | "reconnecting"
  | "offline"
  | "error"
  | "closed";

export interface PlayerDiagnostics {
  state: PlayerState;
  framesDecoded: number;
  ttffMs: number | null;
  lastError: string | null;
  sessionUrl: string | null;
  reconnects: number;
  /** ICE restarts in the current session. */
  iceRestarts: number;
}

export interface PlayerOptions {
  api: WhepApi;
  camera: string;
  video: HTMLVideoElement;
  /** Presence of the camera when the player opens (default: online). */
  online?: boolean;
  /** State changes with a human-readable status line ("" when playing). */
  onState?: (state: PlayerState, message: string) => void;
  onStats?: (stats: ViewerStats) => void;
  /** The session is gone (401 after refresh): go to the login page. */
  onAuthLost?: () => void;
  /** Connected but no frame within this → reconnect. */
  watchdogMs?: number;
  /** Playing but no new frame for this long → reconnect. */
  stallMs?: number;
  /** ICE not connected this long after the answer → reconnect. */
  connectTimeoutMs?: number;
  /** "disconnected" may recover by itself; wait this long before an ICE restart. */
  disconnectGraceMs?: number;
  /** After an ICE restart, video must resume within this, else a new session. */
  restartTimeoutMs?: number;
  statsIntervalMs?: number;
  /** Playing this long resets the back-off. */
  stableMs?: number;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
}

type VideoWithRvfc = HTMLVideoElement & {
  requestVideoFrameCallback?: (
    cb: (now: number, meta: { presentedFrames: number; presentationTime?: number }) => void,
  ) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

const OFFLINE_MESSAGE = "The camera is offline. Waiting for it to come back…";

export class Player {
  readonly camera: string;
  readonly #o: Required<
    Pick<
      PlayerOptions,
      | "watchdogMs"
      | "stallMs"
      | "connectTimeoutMs"
      | "disconnectGraceMs"
      | "restartTimeoutMs"
      | "statsIntervalMs"
      | "stableMs"
    >
  >;
  readonly #opts: PlayerOptions;
  readonly #video: VideoWithRvfc;
  readonly #backoff = new Backoff({ baseMs: 500, maxMs: 15_000, factor: 2, jitter: 1 });

  #state: PlayerState = "idle";
  #session: WhepSession | null = null;
  #lastError: string | null = null;
  /** WHEP sessions started by this player; all but the first are reconnects. */
  #sessions = 0;
  #cameraOnline = true;
  #stopped = true;

  // per session
  #rvfcFrames = 0;
  #rvfcBase = -1;
  #statsFrames = 0;
  #ttffMs: number | null = null;
  #prevSnapshot: StatsSnapshot | undefined;
  #lastFrameProgress = 0;
  /** The session's media connected at least once. */
  #everConnected = false;
  /** An ICE restart was tried since video last flowed. */
  #restartTried = false;

  // timers
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdogTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #rvfcHandle: number | undefined;
  #presenceTimer: ReturnType<typeof setTimeout> | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: PlayerOptions) {
    this.#opts = options;
    this.camera = options.camera;
    this.#video = options.video as VideoWithRvfc;
    this.#o = {
      watchdogMs: options.watchdogMs ?? 2000,
      stallMs: options.stallMs ?? 2500,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      disconnectGraceMs: options.disconnectGraceMs ?? 500,
      restartTimeoutMs: options.restartTimeoutMs ?? 5000,
      statsIntervalMs: options.statsIntervalMs ?? 1000,
      stableMs: options.stableMs ?? 10_000,
    };
  }

  get state(): PlayerState {
    return this.#state;
  }

  get diagnostics(): PlayerDiagnostics {
    return {
      state: this.#state,
      framesDecoded: Math.max(this.#rvfcFrames, this.#statsFrames),
      ttffMs: this.#ttffMs === null ? null : Math.round(this.#ttffMs),
      lastError: this.#lastError,
      sessionUrl: this.#session?.sessionUrl ?? null,
      reconnects: Math.max(0, this.#sessions - 1),
      iceRestarts: this.#session?.iceRestarts ?? 0,
    };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#cameraOnline = this.#opts.online ?? true;
    this.#video.muted = true;
    this.#video.autoplay = true;
    this.#video.playsInline = true;
    globalThis.addEventListener?.("pagehide", this.#onPageHide);
    globalThis.addEventListener?.("pageshow", this.#onPageShow);
    globalThis.addEventListener?.("online", this.#onNetworkOnline);
    this.#statsTimer = setInterval(() => this.#pollStats(), this.#o.statsIntervalMs);
    this.#connect();
  }

  /** Leave: DELETE the session, release the video element. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    globalThis.removeEventListener?.("pagehide", this.#onPageHide);
    globalThis.removeEventListener?.("pageshow", this.#onPageShow);
    globalThis.removeEventListener?.("online", this.#onNetworkOnline);
    clearInterval(this.#statsTimer);
    this.#clearTimers();
    this.#cancelRvfc();
    const session = this.#session;
    this.#session = null;
    this.#setState("closed", "");
    this.#video.srcObject = null;
    await session?.close();
  }

  /**
   * Presence for this camera changed. Going offline while connected means
   * the publisher is gone unless video still flows; coming back online
   * (publisher restarted) reconnects at once instead of waiting for ICE to
   * time out.
   */
  setCameraOnline(online: boolean): void {
    const was = this.#cameraOnline;
    this.#cameraOnline = online;
    if (this.#stopped || online === was) return;
    clearTimeout(this.#presenceTimer);
    if (!online) {
      if (this.#state === "reconnecting" || this.#state === "error") {
        clearTimeout(this.#retryTimer);
        this.#setState("offline", OFFLINE_MESSAGE);
      } else if (this.#state !== "offline") {
        // Signaling can drop while media still flows: only act if it stopped.
        this.#ifNoNewFrames(1000, () => {
          if (!this.#cameraOnline) this.#reconnect("The camera went offline.");
        });
      }
      return;
    }
    if (this.#state === "connecting") return; // already on it
    const reconnectNow = () => {
      clearTimeout(this.#retryTimer);
      this.#backoff.reset();
      this.#teardown();
      this.#connect();
    };
    // Still playing the old stream? Only keep it if frames really still arrive.
    if (this.#state === "playing") this.#ifNoNewFrames(700, reconnectNow);
    else reconnectNow();
  }

  /** Manual retry (button). */
  retryNow(): void {
    if (this.#stopped) return;
    this.#backoff.reset();
    this.#teardown();
    this.#connect();
  }

  // -------------------------------------------------------------------------

  #setState(state: PlayerState, message: string): void {
    this.#state = state;
    this.#opts.onState?.(state, message);
  }

  #fail(message: string): void {
    this.#lastError = message;
  }

  #resetSessionCounters(): void {
    this.#rvfcFrames = 0;
    this.#rvfcBase = -1;
    this.#statsFrames = 0;
    this.#ttffMs = null;
    this.#prevSnapshot = undefined;
    this.#lastFrameProgress = performance.now();
    this.#everConnected = false;
    this.#restartTried = false;
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#clearTimers();
    this.#resetSessionCounters();
    this.#setState(
      "connecting",
      this.#sessions > 0 ? "Reconnecting to the camera…" : "Connecting to the camera…",
    );
    this.#sessions++;
    const session = new WhepSession({
      api: this.#opts.api,
      camera: this.camera,
      createPeerConnection: this.#opts.createPeerConnection,
      fetchIceServers: true,
      onWarning: (m) => console.warn(`[vigil] ${m}`),
    });
    this.#session = session;
    const pc = session.pc;

    pc.addEventListener("track", (ev) => {
      if (this.#session !== session || ev.track.kind !== "video") return;
      const stream = ev.streams[0] ?? new MediaStream([ev.track]);
      this.#video.srcObject = stream;
      this.#video.play().catch(() => {
        // Autoplay of a muted video is allowed; ignore interrupted play().
      });
      this.#watchFrames(session);
    });
    pc.addEventListener("connectionstatechange", () => this.#onConnectionState(session));

    session.connect().then(() => {
      if (this.#session !== session) return;
      this.#watchTransport(session);
      this.#connectTimer = setTimeout(() => {
        if (this.#session === session && pc.connectionState !== "connected") {
          this.#reconnect("Could not establish the media connection.");
        }
      }, this.#o.connectTimeoutMs);
    }).catch((e: unknown) => {
      if (this.#session !== session || this.#stopped) return;
      if (e instanceof WhepError) {
        if (e.status === 401) {
          this.#fail(e.message);
          this.#opts.onAuthLost?.();
          return;
        }
        if (!e.retryable) {
          this.#fail(e.message);
          this.#teardown();
          this.#setState("error", e.message);
          return;
        }
        this.#reconnect(e.message, e.retryAfterMs ?? undefined);
        return;
      }
      this.#reconnect(`Connection failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  #onConnectionState(session: WhepSession): void {
    if (this.#session !== session) return;
    const st = session.pc.connectionState;
    if (st === "connected") {
      clearTimeout(this.#connectTimer);
      clearTimeout(this.#graceTimer);
      this.#graceTimer = undefined;
      this.#everConnected = true;
      // After an ICE restart the state says so until video resumes (#framesFlow).
      if (this.#state !== "playing" && !this.#restartTried) {
        this.#setState("waiting-video", "Connected, waiting for video…");
        this.#armWatchdog(session);
      }
    } else if (st === "disconnected") {
      if (this.#graceTimer === undefined) {
        this.#graceTimer = setTimeout(() => {
          this.#graceTimer = undefined;
          if (this.#session === session && session.pc.connectionState !== "connected") {
            this.#recover(session, "The connection to the camera was lost.");
          }
        }, this.#o.disconnectGraceMs);
      }
    } else if (st === "failed") {
      this.#recover(session, "The connection to the camera failed.");
    } else if (st === "closed") {
      this.#reconnect("The connection to the camera failed.");
    }
  }

  /**
   * A session that played lost its path: ICE restart in place once; a new
   * session when it was tried already, is refused, or video does not come
   * back within `restartTimeoutMs`.
   */
  #recover(session: WhepSession, message: string): void {
    if (this.#session !== session || this.#stopped) return;
    if (!this.#everConnected || this.#restartTried) {
      this.#reconnect(message);
      return;
    }
    this.#restartTried = true;
    clearTimeout(this.#watchdogTimer);
    const frames = this.#frameCount();
    this.#setState("reconnecting", `${message} Restoring it…`);
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (this.#session === session && this.#frameCount() === frames) {
        this.#reconnect(`${message} Restoring it did not help.`);
      }
    }, this.#o.restartTimeoutMs);
    session.restartIce().catch((e: unknown) => {
      if (this.#session !== session || this.#stopped) return;
      if (e instanceof WhepError && e.status === 401) {
        this.#fail(e.message);
        this.#opts.onAuthLost?.();
        return;
      }
      this.#reconnect(`${message} The camera refused to restore it.`);
    });
  }

  /** Frames arrive (again): after an ICE restart, this is the recovery. */
  #framesFlow(): void {
    this.#lastFrameProgress = performance.now();
    if (!this.#restartTried || this.#state === "playing") return;
    clearTimeout(this.#restartTimer);
    this.#restartTried = false;
    this.#setState("playing", "");
  }

  /** The camera closing DTLS (publisher stopped) shows here before ICE fails. */
  #watchTransport(session: WhepSession): void {
    const transport = session.pc.getTransceivers()[0]?.receiver.transport;
    transport?.addEventListener("statechange", () => {
      if (this.#session !== session) return;
      if (transport.state === "closed" || transport.state === "failed") {
        this.#reconnect("The camera ended the stream.");
      }
    });
  }

  #armWatchdog(session: WhepSession): void {
    clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = setTimeout(async () => {
      if (this.#session !== session || this.#hasFrames()) return;
      // rVFC does not run in a hidden tab: ask the decoder before giving up.
      await this.#pollStats();
      if (this.#session !== session || this.#hasFrames()) return;
      this.#reconnect("Connected, but no video arrived.", 0);
    }, this.#o.watchdogMs);
  }

  #frameCount(): number {
    return Math.max(this.#rvfcFrames, this.#statsFrames);
  }

  /** Runs `action` if no new frame is rendered or decoded within `ms`. */
  #ifNoNewFrames(ms: number, action: () => void): void {
    const session = this.#session;
    const before = this.#frameCount();
    clearTimeout(this.#presenceTimer);
    this.#presenceTimer = setTimeout(async () => {
      await this.#pollStats();
      if (this.#stopped || this.#session !== session) return;
      if (this.#frameCount() === before) action();
    }, ms);
  }

  #hasFrames(): boolean {
    return this.#rvfcFrames > 0 || this.#statsFrames > 0;
  }

  #watchFrames(session: WhepSession): void {
    const video = this.#video;
    this.#cancelRvfc();
    if (typeof video.requestVideoFrameCallback === "function") {
      const onFrame = (
        now: number,
        meta: { presentedFrames: number; presentationTime?: number },
      ) => {
        if (this.#session !== session || this.#stopped) return;
        if (this.#rvfcBase < 0) this.#rvfcBase = meta.presentedFrames - 1;
        this.#rvfcFrames = Math.max(this.#rvfcFrames + 1, meta.presentedFrames - this.#rvfcBase);
        this.#framesFlow();
        if (this.#ttffMs === null) {
          const shown = meta.presentationTime ?? now;
          this.#onFirstFrame(session, shown);
        }
        this.#rvfcHandle = video.requestVideoFrameCallback!(onFrame);
      };
      this.#rvfcHandle = video.requestVideoFrameCallback(onFrame);
    } else {
      video.addEventListener("loadeddata", () => {
        if (this.#session === session && this.#ttffMs === null) {
          this.#onFirstFrame(session, performance.now());
        }
      }, { once: true });
    }
  }

  #onFirstFrame(session: WhepSession, at: number): void {
    const sent = session.offerSentAt;
    this.#ttffMs = sent === null ? null : Math.max(0, at - sent);
    clearTimeout(this.#watchdogTimer);
    this.#cameraOnline = true;
    this.#setState("playing", "");
    clearTimeout(this.#stableTimer);
    this.#stableTimer = setTimeout(() => this.#backoff.reset(), this.#o.stableMs);
  }

  #cancelRvfc(): void {
    if (this.#rvfcHandle !== undefined) this.#video.cancelVideoFrameCallback?.(this.#rvfcHandle);
    this.#rvfcHandle = undefined;
  }

  async #pollStats(): Promise<void> {
    const session = this.#session;
    if (!session || session.closed || this.#stopped) return;
    let snap: StatsSnapshot | undefined;
    try {
      snap = snapshotFromReport(await session.pc.getStats());
    } catch {
      return;
    }
    if (this.#session !== session) return;
    const now = performance.now();
    if (snap) {
      if (snap.framesDecoded > this.#statsFrames) this.#framesFlow();
      this.#statsFrames = Math.max(this.#statsFrames, snap.framesDecoded);
      if (this.#ttffMs === null && snap.framesDecoded > 0 && this.#state !== "playing") {
        // Frames decode but are not rendered (hidden tab): still playing.
        // ttff stays null until a frame is actually presented.
        this.#cameraOnline = true;
        this.#setState("playing", "");
      }
    }
    this.#opts.onStats?.(computeStats(this.#prevSnapshot, snap, this.#ttffMs));
    this.#prevSnapshot = snap ?? this.#prevSnapshot;
    if (this.#state === "playing" && now - this.#lastFrameProgress > this.#o.stallMs) {
      this.#recover(session, "The video stopped.");
    }
  }

  #teardown(): void {
    this.#clearTimers();
    this.#cancelRvfc();
    const old = this.#session;
    this.#session = null;
    old?.close();
  }

  #reconnect(message: string, delayMs?: number): void {
    if (this.#stopped) return;
    this.#fail(message);
    this.#teardown();
    if (!this.#cameraOnline) {
      this.#setState("offline", OFFLINE_MESSAGE);
      // Presence normally wakes us up; still poll slowly in case it is stale.
      this.#retryTimer = setTimeout(() => this.#connect(), Math.max(this.#backoff.next(), 10_000));
      return;
    }
    const delay = Math.max(delayMs ?? 0, this.#backoff.next());
    const secs = Math.max(1, Math.round(delay / 1000));
    this.#setState("reconnecting", `${message} Reconnecting in ${secs} s…`);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #clearTimers(): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#watchdogTimer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#presenceTimer);
    clearTimeout(this.#restartTimer);
    this.#graceTimer = undefined;
  }

  readonly #onPageHide = (ev: PageTransitionEvent): void => {
    if (this.#stopped) return;
    this.#session?.closeOnUnload();
    this.#session = null;
    this.#clearTimers();
    // If the page goes into the back/forward cache, pageshow restarts us.
    if (!ev.persisted) this.#stopped = true;
  };

  readonly #onPageShow = (ev: PageTransitionEvent): void => {
    if (ev.persisted && !this.#stopped) this.#connect();
  };

  readonly #onNetworkOnline = (): void => {
    if (this.#state === "reconnecting" || this.#state === "offline") this.retryNow();
  };
}
