/**
 * RTP timestamps for a live encoder whose byte stream carries no time (raw
 * H.264 on a pipe): nominal frame spacing while the arrival times agree with it
 * within `maxDriftMs`, re-anchored on the wall clock when they drift apart (a
 * stall, a restart, a camera running slower than configured).
 *
 * @module
 */

import { frameTimestamp, VIDEO_CLOCK_RATE } from "../media/access_unit.ts";

/** Options of {@linkcode LiveTimestamper}. */
export interface LiveTimestamperOptions {
  /** Largest tolerated gap between nominal and arrival time before re-anchoring (default 100 ms). */
  maxDriftMs?: number;
}

/**
 * Assigns 90 kHz timestamps to access units as they arrive from a live encoder.
 *
 * @example
 * ```ts
 * const clock = new LiveTimestamper(30);
 * clock.next(performance.now()); // 0
 * clock.next(performance.now() + 33); // 3000
 * ```
 */
export class LiveTimestamper {
  readonly #fps: number;
  readonly #maxDriftTicks: number;
  #startMs: number | undefined;
  #anchor = 0;
  #n = 0;
  #last = -1;
  #resyncs = 0;

  /** Creates a timestamper for a nominal `fps`. */
  constructor(fps: number, options: LiveTimestamperOptions = {}) {
    if (!(fps > 0)) throw new RangeError(`fps must be > 0, got ${fps}`);
    this.#fps = fps;
    this.#maxDriftTicks = ((options.maxDriftMs ?? 100) * VIDEO_CLOCK_RATE) / 1000;
  }

  /** Times the timeline was re-anchored on arrival time. */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** The 90 kHz timestamp of an access unit that arrived at `nowMs` (monotonic ms); strictly increasing. */
  next(nowMs: number): number {
    if (this.#startMs === undefined) {
      this.#startMs = nowMs;
      this.#last = 0;
      return 0;
    }
    this.#n++;
    let ts = this.#anchor + frameTimestamp(this.#n, this.#fps);
    const wall = Math.round(((nowMs - this.#startMs) * VIDEO_CLOCK_RATE) / 1000);
    if (Math.abs(wall - ts) > this.#maxDriftTicks) {
      this.#anchor = Math.max(wall, this.#last + 1);
      this.#n = 0;
      ts = this.#anchor;
      this.#resyncs++;
    }
    if (ts <= this.#last) ts = this.#last + 1;
    this.#last = ts;
    return ts;
  }
}
