/**
 * Live camera presence: reads `GET /api/cameras/events` (text/event-stream)
 * with fetch(), because EventSource cannot send the Authorization header,
 * parses it with the pure SSE parser, and reconnects with back-off.
 */

import { AuthLostError, isCameraId, parseSince } from "./api.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { SseParser } from "./sse.ts";

export interface PresenceEvent {
  id: string;
  online: boolean;
  since: number | null;
}

export interface PresenceOptions {
  api: { fetch(path: string, init?: RequestInit): Promise<Response> };
  onPresence: (event: PresenceEvent) => void;
  /**
   * The stream is (re)connected. Events sent while it was down are lost, so
   * the app re-reads the camera list here.
   */
  onOpen?: (reconnect: boolean) => void;
  /** The stream dropped; `retryInMs` until the next attempt. */
  onClose?: (retryInMs: number, error: string | null) => void;
  onAuthLost?: () => void;
  backoff?: BackoffOptions;
  /** No bytes (not even a keep-alive comment) for this long → reconnect. */
  idleTimeoutMs?: number;
  /** A connection that lasted this long resets the back-off. */
  stableMs?: number;
}

/** Validates the JSON data of a `presence` event. */
export function parsePresence(data: string): PresenceEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  if (!isCameraId(o.id) || typeof o.online !== "boolean") return undefined;
  return { id: o.id, online: o.online, since: parseSince(o.since) };
}

export class PresenceStream {
  readonly #o: PresenceOptions;
  readonly #backoff: Backoff;
  readonly #parser = new SseParser();
  #running = false;
  #abort: AbortController | null = null;
  #wake: (() => void) | null = null;
  #opened = false;

  constructor(options: PresenceOptions) {
    this.#o = options;
    this.#backoff = new Backoff(
      options.backoff ?? { baseMs: 1000, maxMs: 30_000, factor: 2, jitter: 1 },
    );
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop();
  }

  stop(): void {
    this.#running = false;
    this.#abort?.abort();
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const started = performance.now();
      let error: string | null = null;
      try {
        await this.#connectOnce();
      } catch (e) {
        if (e instanceof AuthLostError) {
          this.#running = false;
          this.#o.onAuthLost?.();
          return;
        }
        error = e instanceof Error ? e.message : String(e);
      }
      this.#parser.end();
      if (!this.#running) return;
      if (performance.now() - started >= (this.#o.stableMs ?? 10_000)) this.#backoff.reset();
      const delay = Math.max(this.#parser.retry ?? 0, this.#backoff.next());
      this.#o.onClose?.(delay, error);
      await this.#sleep(delay);
    }
  }

  async #connectOnce(): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (this.#parser.lastEventId) headers["last-event-id"] = this.#parser.lastEventId;
    const res = await this.#o.api.fetch("/api/cameras/events", { headers, signal: abort.signal });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Error(`presence stream: HTTP ${res.status}`);
    }
    const type = res.headers.get("content-type") ?? "";
    if (!type.toLowerCase().startsWith("text/event-stream")) {
      await res.body.cancel();
      throw new Error(`presence stream: unexpected content-type ${type}`);
    }

    const reconnect = this.#opened;
    this.#opened = true;
    this.#o.onOpen?.(reconnect);

    const idleMs = this.#o.idleTimeoutMs ?? 60_000;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(idle);
      if (idleMs > 0) idle = setTimeout(() => abort.abort(), idleMs);
    };
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      arm();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        for (const ev of this.#parser.push(value)) {
          if (ev.event !== "presence") continue;
          const p = parsePresence(ev.data);
          if (p) this.#o.onPresence(p);
        }
      }
    } finally {
      clearTimeout(idle);
      reader.cancel().catch(() => {});
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }
}
