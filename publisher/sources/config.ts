/**
 * The validated configuration of a video source.
 *
 * @module
 */

import { z } from "zod";

/** Path of the sample clip shipped in the repository (used by `kind: "file"` without `path`). */
export const SAMPLE_CLIP_PATH: string = new URL("../assets/sample-720p30.h264", import.meta.url)
  .pathname;

/** Default pipe idle time that ends a picture (ms): encoders write a picture in one burst. */
export const DEFAULT_LOW_LATENCY_FLUSH_MS = 4;

const even = (what: string) =>
  z.number().int().min(16).max(4096).refine((n) => n % 2 === 0, `${what} must be even (4:2:0)`);

/**
 * Source configuration. Defaults: 1280×720, 30 fps, 1500 kbit/s, GOP 30.
 * Unknown keys are rejected.
 *
 * - `device`: V4L2 capture device, `/dev/videoN` (v4l2; default /dev/video0).
 * - `path`: Annex-B file to loop (file; default the sample clip).
 * - `binary`: executable to spawn instead of the default (ffmpeg / rpicam-vid),
 *   e.g. `libcamera-vid` or an absolute path.
 * - `encoder`: v4l2 only; `auto` uses the Pi's hardware encoder when present.
 * - `timestampSei`: embed a capture-time SEI in every access unit
 *   (see media/timestamp_sei.ts).
 * - `lowLatencyFlushMs`: process sources (synthetic, v4l2, rpicam) end a picture
 *   once the encoder's pipe has been idle this long, instead of one frame
 *   interval later when the next picture starts (default 4; 0 waits for the
 *   next picture). See sources/process_source.ts.
 */
export const SourceConfigSchema = z.object({
  kind: z.enum(["file", "synthetic", "v4l2", "rpicam"]),
  width: even("width").default(1280),
  height: even("height").default(720),
  fps: z.number().positive().max(120).default(30),
  bitrateKbps: z.number().int().min(50).max(50_000).default(1500),
  gop: z.number().int().min(1).max(600).default(30),
  device: z.string().regex(/^\/dev\/video[0-9]{1,3}$/, "device must be /dev/videoN").optional(),
  path: z.string().min(1).optional(),
  binary: z.string().regex(/^[A-Za-z0-9_./-]+$/, "binary must be a plain name or path").optional(),
  encoder: z.enum(["auto", "h264_v4l2m2m", "libx264"]).default("auto"),
  timestampSei: z.boolean().default(false),
  lowLatencyFlushMs: z.number().int().min(0).max(100).default(DEFAULT_LOW_LATENCY_FLUSH_MS),
}).strict();

/** A parsed source configuration (defaults applied). */
export type SourceConfig = z.output<typeof SourceConfigSchema>;

/** What callers may pass: defaults may be omitted. */
export type SourceConfigInput = z.input<typeof SourceConfigSchema>;

/**
 * Validates and completes a source configuration; throws a ZodError when invalid.
 *
 * @example
 * ```ts
 * parseSourceConfig({ kind: "rpicam", fps: 25 }).gop; // 30
 * ```
 */
export function parseSourceConfig(input: unknown): SourceConfig {
  return SourceConfigSchema.parse(input);
}
