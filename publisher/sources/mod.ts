/**
 * Video sources of the publisher: file, synthetic (ffmpeg testsrc2), v4l2 and
 * rpicam, their configuration, and the process supervisor.
 *
 * @example
 * ```ts
 * import { createSource, sourceBinary } from "./publisher/sources/mod.ts";
 * const config = { kind: "synthetic", gop: 30 };
 * console.log(sourceBinary(config)); // "ffmpeg" → --allow-run=ffmpeg
 * const source = createSource(config);
 * ```
 *
 * @module
 */

export type { SourceInfo, SourceKind, SourceStats, VideoSource } from "./source.ts";
export {
  parseSourceConfig,
  SAMPLE_CLIP_PATH,
  type SourceConfig,
  type SourceConfigInput,
  SourceConfigSchema,
} from "./config.ts";
export {
  createSource,
  type CreateSourceOptions,
  resolveRpicamBinary,
  sourceBinary,
} from "./create_source.ts";
export { FileSource, type FileSourceOptions } from "./file_source.ts";
export {
  ProcessSource,
  type ProcessSourceOptions,
  type ProcessSourceStats,
} from "./process_source.ts";
export {
  installChildCleanup,
  killSupervisedChildren,
  ProcessSupervisor,
  type SupervisorOptions,
} from "./supervisor.ts";
