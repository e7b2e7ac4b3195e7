/**
 * The ffmpeg command that turns an Annex-B stream on stdin into fragmented MP4
 * segments without re-encoding.
 *
 * @module
 */

import type { ProcessCommand } from "../sources/supervisor.ts";

/** Options of {@linkcode remuxCommand}. */
export interface RemuxCommandOptions {
  /** ffmpeg executable (default "ffmpeg"). */
  binary?: string;
  /** Directory receiving the segments. */
  dir: string;
  /** Nominal frame rate: raw H.264 carries no timestamps, so frames are timed at this rate. */
  fps: number;
  /** Target segment length in seconds; cuts happen at the next keyframe. */
  segmentSeconds: number;
  /** Start of this run, used in the segment names. */
  startedAt: Date;
}

/**
 * UTC stamp used in segment names: `YYYYMMDDTHHMMSSmmmZ`.
 *
 * @example
 * ```ts
 * segmentStamp(new Date("2025-01-02T03:04:05.678Z")); // "20250102T030405678Z"
 * ```
 */
export function segmentStamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, "");
}

/**
 * `ffmpeg -f h264 -i pipe:0 -c copy -f segment …` writing
 * `seg-<run start>-<index>.mp4`, each a fragmented MP4 (empty moov, a fragment
 * per keyframe) that stays playable up to its last complete fragment even if
 * ffmpeg is killed, with timestamps starting at 0 in every segment.
 *
 * @example
 * ```ts
 * remuxCommand({ dir: "/rec", fps: 30, segmentSeconds: 60, startedAt: new Date() });
 * ```
 */
export function remuxCommand(o: RemuxCommandOptions): ProcessCommand {
  // deno-fmt-ignore
  return {
    binary: o.binary ?? "ffmpeg",
    args: [
      "-hide_banner",
      "-loglevel", "error",
      "-nostats",
      // The stream always starts with SPS+PPS+IDR: no need to buffer seconds of
      // input to probe it, so the segment header is written at once.
      "-probesize", "32",
      "-analyzeduration", "0",
      "-f", "h264",
      "-framerate", String(o.fps),
      "-fflags", "+genpts",
      "-i", "pipe:0",
      "-map", "0:v:0",
      "-c", "copy",
      "-f", "segment",
      "-segment_time", String(o.segmentSeconds),
      "-segment_format", "mp4",
      "-segment_format_options", "movflags=+frag_keyframe+empty_moov+default_base_moof",
      "-reset_timestamps", "1",
      // Each segment is listed here when it is closed: the uploader's "finished" (catalog.ts).
      "-segment_list", `${o.dir}/seg-${segmentStamp(o.startedAt)}.csv`,
      "-segment_list_type", "csv",
      `${o.dir.replaceAll("%", "%%")}/seg-${segmentStamp(o.startedAt)}-%05d.mp4`,
    ],
  };
}
