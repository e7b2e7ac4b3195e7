/**
 * Command lines of the process-based sources, built as argument arrays (no
 * shell). Pure: every input is explicit, so the exact commands are unit-tested.
 * All of them write an H.264 Annex-B elementary stream to stdout, Constrained
 * Baseline, an IDR every `gop` frames with SPS/PPS in front of each, no B-frames.
 *
 * @module
 */

import type { ProcessCommand } from "./supervisor.ts";

/** The encoding parameters shared by all process sources. */
export interface EncodeParams {
  /** Width in pixels (even). */
  width: number;
  /** Height in pixels (even). */
  height: number;
  /** Frames per second. */
  fps: number;
  /** Target bitrate in kbit/s. */
  bitrateKbps: number;
  /** Frames between IDRs. */
  gop: number;
}

/** Options of the synthetic (ffmpeg testsrc2) command. */
export interface SyntheticCommandOptions extends EncodeParams {
  /** ffmpeg executable (default "ffmpeg"). */
  binary?: string;
  /** TrueType font for the burnt-in clock; without one, no text is drawn. */
  fontFile?: string | null;
}

/** Options of the v4l2 command. */
export interface V4l2CommandOptions extends EncodeParams {
  /** ffmpeg executable (default "ffmpeg"). */
  binary?: string;
  /** Capture device, e.g. /dev/video0. */
  device: string;
  /** Encoder: the V4L2 memory-to-memory hardware encoder or libx264. */
  encoder: "h264_v4l2m2m" | "libx264";
}

/** Options of the rpicam-vid / libcamera-vid command. */
export interface RpicamCommandOptions extends EncodeParams {
  /** Executable (default "rpicam-vid"; "libcamera-vid" on older Raspberry Pi OS). */
  binary?: string;
}

/** Fonts looked for, in order, for the burnt-in clock. */
export const FONT_CANDIDATES: readonly string[] = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
  "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
  "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
];

/** Quotes a value for an ffmpeg filter option (inside '…'). */
function filterQuote(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "'\\''").replaceAll(":", "\\:")}'`;
}

const FFMPEG_HEAD = ["-hide_banner", "-loglevel", "error", "-nostdin"];

function x264Args(p: EncodeParams): string[] {
  const kbps = Math.round(p.bitrateKbps);
  // deno-fmt-ignore
  return [
    "-c:v", "libx264",
    "-preset", "ultrafast",
    "-tune", "zerolatency",
    "-profile:v", "baseline", // x264 "baseline" is Constrained Baseline (constraint_set1)
    "-pix_fmt", "yuv420p",
    "-g", String(p.gop),
    "-keyint_min", String(p.gop),
    "-sc_threshold", "0",
    "-bf", "0",
    "-b:v", `${kbps}k`,
    "-maxrate", `${kbps}k`,
    "-bufsize", `${Math.max(1, Math.round(kbps / 2))}k`,
    "-x264-params", "repeat-headers=1",
  ];
}

const FFMPEG_TAIL = ["-an", "-flush_packets", "1", "-f", "h264", "pipe:1"];

/**
 * ffmpeg testsrc2 paced in real time (`-re`), with a burnt-in wall clock, frame
 * counter and stream time when a font is available, encoded by libx264
 * zerolatency.
 *
 * @example
 * ```ts
 * syntheticCommand({ width: 1280, height: 720, fps: 30, bitrateKbps: 1500, gop: 30 });
 * // { binary: "ffmpeg", args: ["-hide_banner", …, "-f", "h264", "pipe:1"] }
 * ```
 */
export function syntheticCommand(o: SyntheticCommandOptions): ProcessCommand {
  let graph = `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`;
  if (o.fontFile) {
    const size = Math.max(12, Math.round(o.height / 18));
    const text = "vigil %{localtime:%H\\:%M\\:%S}  frame %{n}  t=%{pts:hms}";
    graph += `,drawtext=fontfile=${filterQuote(o.fontFile)}:text=${filterQuote(text)}` +
      `:x=20:y=h-th-20:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8`;
  }
  return {
    binary: o.binary ?? "ffmpeg",
    args: [...FFMPEG_HEAD, "-re", "-f", "lavfi", "-i", graph, ...x264Args(o), ...FFMPEG_TAIL],
  };
}

/**
 * ffmpeg capturing from a V4L2 device, encoding with the hardware
 * memory-to-memory encoder (SPS/PPS re-inserted before keyframes by the
 * dump_extra bitstream filter) or libx264 zerolatency.
 *
 * @example
 * ```ts
 * v4l2Command({ device: "/dev/video0", encoder: "libx264", width: 1280, height: 720,
 *   fps: 30, bitrateKbps: 1500, gop: 30 });
 * ```
 */
export function v4l2Command(o: V4l2CommandOptions): ProcessCommand {
  // deno-fmt-ignore
  const input = [
    "-f", "v4l2",
    "-framerate", String(o.fps),
    "-video_size", `${o.width}x${o.height}`,
    "-i", o.device,
  ];
  const kbps = Math.round(o.bitrateKbps);
  // deno-fmt-ignore
  const hardware = [
    "-c:v", "h264_v4l2m2m",
    "-pix_fmt", "yuv420p",
    "-profile:v", "578", // FF_PROFILE_H264_CONSTRAINED_BASELINE
    "-g", String(o.gop),
    "-b:v", `${kbps}k`,
    "-bsf:v", "dump_extra=freq=keyframe",
  ];
  const encode = o.encoder === "h264_v4l2m2m" ? hardware : x264Args(o);
  return {
    binary: o.binary ?? "ffmpeg",
    args: [...FFMPEG_HEAD, ...input, ...encode, ...FFMPEG_TAIL],
  };
}

/**
 * rpicam-vid (or libcamera-vid) writing H.264 to stdout forever, SPS/PPS inline
 * before every IDR, flushed after each frame, no preview window.
 *
 * @example
 * ```ts
 * rpicamCommand({ width: 1280, height: 720, fps: 30, bitrateKbps: 1500, gop: 30 });
 * // { binary: "rpicam-vid", args: ["-t", "0", "--inline", "--intra", "30", …, "-o", "-"] }
 * ```
 */
export function rpicamCommand(o: RpicamCommandOptions): ProcessCommand {
  // deno-fmt-ignore
  return {
    binary: o.binary ?? "rpicam-vid",
    args: [
      "-t", "0",
      "--nopreview",
      "--inline",
      "--intra", String(o.gop),
      "--codec", "h264",
      "--profile", "baseline",
      "--width", String(o.width),
      "--height", String(o.height),
      "--framerate", String(o.fps),
      "--bitrate", String(Math.round(o.bitrateKbps * 1000)),
      "--flush",
      "-o", "-",
    ],
  };
}

/**
 * Picks the v4l2 encoder: the hardware one when ffmpeg has it and the
 * memory-to-memory encoder device exists (Raspberry Pi 4 and earlier expose
 * it as /dev/video11; a Pi 5 has none), else libx264.
 *
 * @example
 * ```ts
 * pickV4l2Encoder(" V..... h264_v4l2m2m  V4L2 mem2mem H.264 encoder", true); // "h264_v4l2m2m"
 * ```
 */
export function pickV4l2Encoder(
  ffmpegEncoders: string,
  m2mDeviceExists: boolean,
): "h264_v4l2m2m" | "libx264" {
  return m2mDeviceExists && /\bh264_v4l2m2m\b/.test(ffmpegEncoders) ? "h264_v4l2m2m" : "libx264";
}

/** Device node of the Raspberry Pi's V4L2 H.264 encoder. */
export const PI_M2M_ENCODER_DEVICE = "/dev/video11";
