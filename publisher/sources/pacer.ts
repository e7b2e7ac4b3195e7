/**
 * Real-time frame pacing with timers: frame k is due at t0 + k/fps on an
 * absolute schedule (timer jitter does not accumulate). After a stall longer
 * than `maxLagMs` the schedule restarts from now and the tick count jumps by
 * the frames missed, so timestamps derived from ticks keep following wall time.
 *
 * @module
 */

/** Time source and timer, replaceable in tests. */
export interface PacerClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Abortable `setTimeout` promise.
 *
 * @example
 * ```ts
 * await sleep(100, AbortSignal.timeout(1000));
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(id);
      reject(signal!.reason);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** `performance.now()` and `setTimeout`. */
export const realClock: PacerClock = { now: () => performance.now(), sleep };

/** Options of {@linkcode FramePacer}. */
export interface FramePacerOptions {
  /** Lag after which the schedule restarts instead of bursting to catch up (default 500 ms). */
  maxLagMs?: number;
  /** Clock (default {@linkcode realClock}). */
  clock?: PacerClock;
}

/**
 * Waits for each frame's due time at a fixed frame rate.
 *
 * @example
 * ```ts
 * const pacer = new FramePacer(30);
 * for (;;) {
 *   const tick = await pacer.next(signal); // 0, 1, 2, … at 30 per second
 *   emit(frame, frameTimestamp(tick, 30));
 * }
 * ```
 */
export class FramePacer {
  readonly #intervalMs: number;
  readonly #fps: number;
  readonly #maxLagMs: number;
  readonly #clock: PacerClock;
  #t0: number | undefined;
  #k = 0;
  #tick = -1;
  #resyncs = 0;

  /** Creates a pacer for `fps` frames per second (> 0). */
  constructor(fps: number, options: FramePacerOptions = {}) {
    if (!(fps > 0)) throw new RangeError(`fps must be > 0, got ${fps}`);
    this.#fps = fps;
    this.#intervalMs = 1000 / fps;
    this.#maxLagMs = options.maxLagMs ?? 500;
    this.#clock = options.clock ?? realClock;
  }

  /** Times the schedule restarted after a stall. */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** Waits until the next frame is due and returns its tick (frame index on the timeline). */
  async next(signal?: AbortSignal): Promise<number> {
    const now = this.#clock.now();
    if (this.#t0 === undefined) {
      this.#t0 = now;
      this.#k = 0;
      this.#tick = 0;
      return 0;
    }
    this.#k++;
    this.#tick++;
    let due = this.#t0 + this.#k * this.#intervalMs;
    if (now - due > this.#maxLagMs) {
      this.#tick += Math.floor(((now - due) * this.#fps) / 1000);
      this.#t0 = now;
      this.#k = 0;
      due = now;
      this.#resyncs++;
    }
    if (due > now) await this.#clock.sleep(due - now, signal);
    else if (signal?.aborted) throw signal.reason;
    return this.#tick;
  }
}
