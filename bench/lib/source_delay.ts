/**
 * Source-side delays of the synthetic source, measured apart from the publisher:
 *
 * - **encode**: x264's wall time per frame, from ffmpeg `-benchmark_all` (before
 *   the publisher's capture stamp, so not in the glass-to-glass figure);
 * - **hold**: how long after ffmpeg wrote a picture the Annex-B parser and
 *   access-unit assembler alone know it is complete, i.e. when a later picture
 *   starts arriving: what the publisher's low-latency flush avoids.
 *
 * Both are measured on a separate ffmpeg run of the publisher's own synthetic
 * command, fed through the publisher's own parser and assembler (the same
 * classes, same settings: no low-latency flush).
 *
 * @example
 * ```ts
 * const d = await measureSourceDelays({ width: 1280, height: 720, fps: 30, bitrateKbps: 2000 });
 * d.holdMs.medianMs; // ≈ one frame interval (x264 writes two slices per picture here)
 * ```
 * @module
 */
import { AccessUnitAssembler, AnnexBParser } from "../../publisher/media/annexb.ts";
import { FONT_CANDIDATES, syntheticCommand } from "../../publisher/sources/commands.ts";
import { pathExists } from "../../publisher/sources/find_binary.ts";
import { summarize, type Summary } from "./glass_to_glass_samples.ts";

/**
 * Per-frame encode wall time (ms) from ffmpeg `-benchmark_all` output: the sum
 * of the `encode_video` lines (send frame, receive packet) between two input
 * frames (`decode_video` lines). ffmpeg 5 prints microseconds.
 */
export function parseEncodeTimes(stderr: string): number[] {
  const frames: number[] = [];
  let current: number | null = null;
  for (const m of stderr.matchAll(/bench:\s+\d+ user\s+\d+ sys\s+(\d+) real (\w+)/g)) {
    if (m[2] === "encode_video") current = (current ?? 0) + Number(m[1]) / 1000;
    else if (current !== null) {
      frames.push(current);
      current = null;
    }
  }
  if (current !== null) frames.push(current);
  return frames;
}

/**
 * Runs stdout chunks through the publisher's parser and assembler and tells,
 * for each access unit completed, how long after the chunk holding its last
 * bytes arrived it was completed (null when those bytes straddle two chunks).
 */
export class HoldMeter {
  #parser = new AnnexBParser();
  #assembler = new AccessUnitAssembler();
  #recent: { chunk: Uint8Array; at: number }[] = [];

  /** Feeds a chunk that arrived at `at` (ms); returns the holds of the access units it completed. */
  push(chunk: Uint8Array, at: number): (number | null)[] {
    this.#recent.push({ chunk, at });
    if (this.#recent.length > 256) this.#recent.shift();
    const holds: (number | null)[] = [];
    for (const nalu of this.#parser.push(chunk)) {
      const au = this.#assembler.push(nalu);
      if (!au) continue;
      const last = au.nalus[au.nalus.length - 1];
      const arrived = this.#arrivalOf(last.subarray(Math.max(0, last.length - 16)));
      holds.push(arrived === null ? null : at - arrived);
    }
    return holds;
  }

  /** When the newest chunk containing `tail` arrived. Found by content: the parser copies
   * a NAL unit that ends at a chunk boundary, so views cannot be traced back. */
  #arrivalOf(tail: Uint8Array): number | null {
    for (let i = this.#recent.length - 1; i >= 0; i--) {
      if (contains(this.#recent[i].chunk, tail)) return this.#recent[i].at;
    }
    return null;
  }
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return false;
  for (let i = haystack.indexOf(needle[0]); i >= 0; i = haystack.indexOf(needle[0], i + 1)) {
    if (i + needle.length > haystack.length) return false;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

/** Options of {@linkcode measureSourceDelays}. */
export interface SourceDelayOptions {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  gop?: number;
  /** Frames measured after `skipFrames` (default 150). */
  frames?: number;
  /** Start-up frames left out (default 15). */
  skipFrames?: number;
  /** ffmpeg executable (default "ffmpeg"). */
  ffmpeg?: string;
}

/** Result of {@linkcode measureSourceDelays}. */
export interface SourceDelays {
  /** x264 encode wall time per frame. */
  encodeMs: Summary;
  /** ffmpeg stdout write → publisher stamp. */
  holdMs: Summary;
  /** Access units whose hold could not be attributed (their end split across reads). */
  unattributed: number;
}

/** Runs the synthetic source's ffmpeg command, paced (-re), and measures encode and hold. */
export async function measureSourceDelays(o: SourceDelayOptions): Promise<SourceDelays> {
  const skip = o.skipFrames ?? 15;
  const total = skip + (o.frames ?? 150);
  const cmd = syntheticCommand({
    width: o.width,
    height: o.height,
    fps: o.fps,
    bitrateKbps: o.bitrateKbps,
    gop: o.gop ?? 30,
    binary: o.ffmpeg,
    fontFile: FONT_CANDIDATES.find(pathExists) ?? null,
  });
  // -benchmark_all reports at the info level; the frame limit is an output option.
  const args = ["-benchmark_all", ...cmd.args.map((a) => a === "error" ? "info" : a)];
  args.splice(args.length - 1, 0, "-frames:v", String(total));
  const command = new Deno.Command(cmd.binary, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  let child: Deno.ChildProcess;
  try {
    child = command.spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `${cmd.binary} not found: the synthetic source needs ffmpeg (apt-get install ffmpeg)`,
      );
    }
    throw error;
  }
  const stderr = new Response(child.stderr).text();
  const meter = new HoldMeter();
  const holds: (number | null)[] = [];
  for await (const chunk of child.stdout) holds.push(...meter.push(chunk, performance.now()));
  const status = await child.status;
  const text = await stderr;
  if (!status.success) throw new Error(`ffmpeg failed: ${text.trim().split("\n").pop()}`);
  const measured = holds.slice(skip);
  return {
    encodeMs: summarize(parseEncodeTimes(text).slice(skip)),
    holdMs: summarize(measured),
    unattributed: measured.filter((h) => h === null).length,
  };
}
