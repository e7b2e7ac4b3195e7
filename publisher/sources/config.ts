/**
 * The validated configuration of a video source.
 *
 * @module
 */

import { z } from "zod";
import { shownDefault } from "../../lib/settings.ts";

/** Path of the sample clip shipped in the repository (used by `kind: "file"` without `path`). */
export const SAMPLE_CLIP_PATH: string = new URL("../assets/sample-720p30.h264", import.meta.url)
  .pathname;

/** Default pipe idle time that ends a picture (ms): encoders write a picture in one burst. */
export const DEFAULT_LOW_LATENCY_FLUSH_MS = 4;

const even = (what: string) =>
  z.number().int().min(16).max(4096).refine((n) => n % 2 === 0, `${what} must be even (4:2:0)`);

/**
 * Source configuration; every key with its default (unknown keys are
 * rejected). `device`, `path` and `binary` have defaults that depend on the
 * kind (see their descriptions). `lowLatencyFlushMs`: see
 * sources/process_source.ts; `timestampSei`: see media/timestamp_sei.ts.
 */
export const SourceConfigSchema = z.object({
  kind: z.enum(["file", "synthetic", "v4l2", "rpicam"]).describe(
    "rpicam, v4l2 (USB camera), synthetic (ffmpeg test pattern) or file (loop a clip)",
  ),
  width: even("width").default(1280).describe("picture width (even)"),
  height: even("height").default(720).describe("picture height (even)"),
  fps: z.number().positive().max(120).default(30).describe("frames per second"),
  bitrateKbps: z.number().int().min(50).max(50_000).default(1500).describe("H.264 bitrate, kbit/s"),
  gop: z.number().int().min(1).max(600).default(30).describe(
    "frames between keyframes (bounds how old a new viewer's first picture is)",
  ),
  device: shownDefault(
    z.string().regex(/^\/dev\/video[0-9]{1,3}$/, "device must be /dev/videoN").optional()
      .describe("v4l2: the capture device"),
    "/dev/video0",
  ),
  path: shownDefault(
    z.string().min(1).optional().describe("file: an H.264 Annex-B clip to loop"),
    "the shipped sample",
  ),
  binary: shownDefault(
    z.string().regex(/^[A-Za-z0-9_./-]+$/, "binary must be a plain name or path").optional()
      .describe("executable to spawn instead of the default, e.g. libcamera-vid"),
    "ffmpeg / rpicam-vid",
  ),
  encoder: z.enum(["auto", "h264_v4l2m2m", "libx264"]).default("auto").describe(
    "v4l2: auto uses the Pi's hardware encoder when present",
  ),
  timestampSei: z.boolean().default(false).describe(
    "stamp each picture's capture time in an SEI (latency benchmark)",
  ),
  lowLatencyFlushMs: z.number().int().min(0).max(100).default(DEFAULT_LOW_LATENCY_FLUSH_MS)
    .describe("camera sources: send a picture once the encoder's pipe paused this long; 0: off"),
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
