/**
 * Builds a {@linkcode VideoSource} from a validated configuration, and tells
 * which external binary it will spawn (for `--allow-run`).
 *
 * @module
 */

import {
  FONT_CANDIDATES,
  PI_M2M_ENCODER_DEVICE,
  pickV4l2Encoder,
  rpicamCommand,
  syntheticCommand,
  v4l2Command,
} from "./commands.ts";
import { parseSourceConfig, SAMPLE_CLIP_PATH, type SourceConfig } from "./config.ts";
import { FileSource } from "./file_source.ts";
import { findBinary, pathExists } from "./find_binary.ts";
import { ProcessSource, type ProcessSourceOptions } from "./process_source.ts";
import type { Logger } from "../../lib/log.ts";
import type { SourceInfo, VideoSource } from "./source.ts";
import type { BackoffOptions } from "./supervisor.ts";

/** Runtime options of {@linkcode createSource} that are not part of the config. */
export interface CreateSourceOptions {
  /** Logger (default console). */
  logger?: Logger;
  /** Restart backoff of process sources. */
  backoff?: BackoffOptions;
  /** Overrides the config's `lowLatencyFlushMs` (see {@linkcode ProcessSourceOptions.lowLatencyFlushMs}). */
  lowLatencyFlushMs?: number;
}

/**
 * The rpicam binary to use: rpicam-vid, else libcamera-vid (Raspberry Pi OS
 * Bullseye), else "rpicam-vid" when neither can be found (or the process may
 * not look at PATH).
 *
 * @example
 * ```ts
 * resolveRpicamBinary(); // "rpicam-vid"
 * ```
 */
export function resolveRpicamBinary(): string {
  if (findBinary("rpicam-vid")) return "rpicam-vid";
  if (findBinary("libcamera-vid")) return "libcamera-vid";
  return "rpicam-vid";
}

/**
 * The external executable the configured source spawns, or null for `file`.
 * Use it to build `--allow-run=<binary>`; the source spawns exactly this name.
 *
 * @example
 * ```ts
 * sourceBinary({ kind: "synthetic" }); // "ffmpeg"
 * sourceBinary({ kind: "file" }); // null
 * ```
 */
export function sourceBinary(config: unknown): string | null {
  const c = parseSourceConfig(config);
  return binaryOf(c);
}

function binaryOf(c: SourceConfig): string | null {
  switch (c.kind) {
    case "file":
      return null;
    case "synthetic":
    case "v4l2":
      return c.binary ?? "ffmpeg";
    case "rpicam":
      return c.binary ?? resolveRpicamBinary();
  }
}

/**
 * Creates the source described by `config` (validated with
 * {@linkcode parseSourceConfig}; throws a ZodError when invalid).
 *
 * @example
 * ```ts
 * const source = createSource({ kind: "synthetic", fps: 30, gop: 30 });
 * await source.start();
 * for await (const au of source) hub.publish(au);
 * ```
 */
export function createSource(config: unknown, options: CreateSourceOptions = {}): VideoSource {
  const c = parseSourceConfig(config);
  const binary = binaryOf(c);
  const base = { width: c.width, height: c.height, fps: c.fps };
  if (c.kind === "file") {
    return new FileSource({
      path: c.path ?? SAMPLE_CLIP_PATH,
      ...base,
      timestampSei: c.timestampSei,
      logger: options.logger,
    });
  }
  const encode = { ...base, bitrateKbps: c.bitrateKbps, gop: c.gop, binary: binary! };
  let command: ProcessSourceOptions["command"];
  let description: string;
  switch (c.kind) {
    case "synthetic": {
      const fontFile = FONT_CANDIDATES.find(pathExists) ?? null;
      command = () => syntheticCommand({ ...encode, fontFile });
      description = `${binary} testsrc2${fontFile ? " with clock" : ""}`;
      break;
    }
    case "v4l2": {
      const device = c.device ?? "/dev/video0";
      let encoder: "h264_v4l2m2m" | "libx264" | null = c.encoder === "auto" ? null : c.encoder;
      command = async () => {
        encoder ??= pickV4l2Encoder(await listEncoders(binary!), pathExists(PI_M2M_ENCODER_DEVICE));
        return v4l2Command({ ...encode, device, encoder });
      };
      description = `${binary} v4l2 ${device}`;
      break;
    }
    case "rpicam":
      command = () => rpicamCommand(encode);
      description = `${binary}`;
      break;
  }
  const info: SourceInfo = { kind: c.kind, ...base, description };
  return new ProcessSource({
    info,
    command,
    timestampSei: c.timestampSei,
    lowLatencyFlushMs: options.lowLatencyFlushMs ?? c.lowLatencyFlushMs,
    backoff: options.backoff,
    logger: options.logger,
  });
}

/** `ffmpeg -encoders` output, or "" if it cannot run. */
async function listEncoders(ffmpeg: string): Promise<string> {
  try {
    const out = await new Deno.Command(ffmpeg, {
      args: ["-hide_banner", "-encoders"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(out.stdout);
  } catch {
    return "";
  }
}
