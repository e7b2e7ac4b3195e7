/**
 * The out-of-process WHEP players (Python scripts beside this file): whether
 * they can run here, and running one against a live camera.
 * @module
 */
import type { LiveCamera } from "../helpers/live_camera.ts";

/** Debian's interpreter: its dist-packages hold python3-aiortc and python3-gi. */
export const PYTHON = (() => {
  try {
    Deno.statSync("/usr/bin/python3");
    return "/usr/bin/python3";
  } catch {
    return "python3";
  }
})();

/** A player script and the Debian packages it needs. */
export interface PlayerScript {
  stack: string;
  script: string;
  packages: string[];
}

export const AIORTC: PlayerScript = {
  stack: "aiortc",
  script: new URL("aiortc_player.py", import.meta.url).pathname,
  packages: ["python3-aiortc"],
};

export const WEBRTCBIN: PlayerScript = {
  stack: "gstreamer-webrtcbin",
  script: new URL("webrtcbin_player.py", import.meta.url).pathname,
  packages: [
    "python3-gi",
    "gir1.2-gst-plugins-bad-1.0",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-nice",
    "gstreamer1.0-libav",
  ],
};

/**
 * Why `p` cannot run here (its own `--check`), or null when it can. Under
 * CI=true a missing player throws: CI must install it (.ci/run).
 */
export function unavailable(p: PlayerScript): string | null {
  let reason: string | null;
  try {
    const out = new Deno.Command(PYTHON, {
      args: [p.script, "--check"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    reason = out.success ? null : new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)!;
  } catch (err) {
    reason = `${PYTHON}: ${err instanceof Error ? err.message : err}`;
  }
  if (reason === null) return null;
  const message = `${p.stack} cannot run (${reason}); apt-get install ${p.packages.join(" ")}`;
  if (Deno.env.get("CI") === "true") throw new Error(`required under CI: ${message}`);
  console.warn(`skipping: ${message}`);
  return message;
}

/** One player's result (the JSON line the scripts print). */
export interface PlayerResult {
  stack: string;
  status?: number;
  frames: number;
  /** ms from the offer POST to the first decoded frame. */
  firstFrameMs?: number;
  width?: number;
  height?: number;
  deleteStatus?: number;
  timedOut?: boolean;
  error?: string;
  [key: string]: unknown;
}

/** Runs `p` against `cam` until it decoded `frames` frames (or its timeout). */
export async function runPlayer(
  p: PlayerScript,
  cam: LiveCamera,
  frames = 30,
  extraArgs: string[] = [],
): Promise<PlayerResult> {
  const out = await new Deno.Command(PYTHON, {
    args: [
      p.script,
      "--url",
      cam.whepUrl,
      "--ca",
      cam.caFile,
      "--frames",
      String(frames),
      ...extraArgs,
    ],
    env: { WHEP_TOKEN: await cam.token() }, // not in argv: process lists are world-readable
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  const line = stdout.split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as PlayerResult;
  } catch {
    throw new Error(`${p.stack} printed no result (exit ${out.code}): ${stderr.slice(-1500)}`);
  }
}
