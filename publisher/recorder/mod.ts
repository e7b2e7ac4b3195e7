/**
 * Segmented fMP4 recording of the published stream, with retention.
 *
 * @example
 * ```ts
 * import { SegmentRecorder } from "./publisher/recorder/mod.ts";
 * const recorder = new SegmentRecorder({ dir: "data/recordings", fps: 30 });
 * ```
 *
 * @module
 */

export {
  DEFAULT_RETENTION,
  type RecorderOptions,
  type RecorderStats,
  SegmentRecorder,
} from "./segment_recorder.ts";
export {
  planRetention,
  type RetentionPlan,
  type RetentionPolicy,
  type SegmentFile,
} from "./retention.ts";
export { listSegments, SEGMENT_NAME, type SweepResult, sweepSegments } from "./sweeper.ts";
export { remuxCommand, type RemuxCommandOptions, segmentStamp } from "./remux_command.ts";
