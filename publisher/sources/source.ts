/**
 * The contract every video source fulfils (file, synthetic, v4l2, rpicam), and
 * the small logger interface the sources, the supervisor and the recorder use.
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";

/** The kinds of source vigil knows. */
export type SourceKind = "file" | "synthetic" | "v4l2" | "rpicam";

/** What a source produces, for the hello message and the SDP. */
export interface SourceInfo {
  /** Source kind. */
  kind: SourceKind;
  /** Picture width in pixels (as configured). */
  width: number;
  /** Picture height in pixels (as configured). */
  height: number;
  /** Nominal frame rate. */
  fps: number;
  /** Human-readable description (file path, device, binary). */
  description: string;
}

/** Counters of a source. */
export interface SourceStats {
  /** Access units emitted. */
  accessUnits: number;
  /** Of which keyframes. */
  keyframes: number;
  /** NAL unit bytes emitted. */
  bytes: number;
  /** Access units dropped because the consumer lagged (waiting for the next IDR). */
  dropped: number;
  /** Restarts of the underlying process (process sources) or loops (file source). */
  restarts: number;
}

/**
 * A live H.264 source. Call {@linkcode VideoSource.start}, then iterate: each
 * value is one access unit in decoding order with increasing 90 kHz timestamps.
 * Iteration ends after {@linkcode VideoSource.stop} (or when the loop is left
 * with `break`, which stops the source). One consumer at a time; a stopped
 * source cannot be started again (create a new one).
 *
 * @example
 * ```ts
 * const source = createSource({ kind: "file" });
 * await source.start();
 * for await (const au of source) hub.publish(au);
 * ```
 */
export interface VideoSource extends AsyncIterable<AccessUnit> {
  /** Static description. */
  readonly info: SourceInfo;
  /** True between start() and stop(). */
  readonly running: boolean;
  /** Starts producing (spawns the process, reads the file). Rejects if it cannot start at all. */
  start(): Promise<void>;
  /** Stops producing and releases everything (kills the process); ends iteration. Idempotent. */
  stop(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): SourceStats;
}
