/**
 * Test gating for external binaries (ffmpeg, ffprobe): a test that needs one
 * is ignored locally, with a printed reason, when it is missing, but runs (and
 * fails) under `CI=true` so CI can never silently skip it.
 *
 * @module
 */

import { hasBinary } from "./find_binary.ts";

/**
 * The `ignore` option of a `Deno.test` that needs the given binaries: true
 * (with a printed reason) when one is missing locally; always false under
 * `CI=true`, where the test must then fail.
 *
 * @example
 * ```ts
 * Deno.test({ name: "remux", ignore: ignoreWithout("ffmpeg"), fn: async () => {
 *   assertBinaries("ffmpeg");
 * } });
 * ```
 */
export function ignoreWithout(...binaries: string[]): boolean {
  const missing = binaries.filter((b) => !hasBinary(b));
  if (missing.length === 0 || Deno.env.get("CI") === "true") return false;
  console.warn(`ignoring a test: ${missing.join(", ")} not found on PATH`);
  return true;
}

/**
 * Throws a clear error if a binary is missing (call first in gated tests).
 *
 * @example
 * ```ts
 * assertBinaries("ffmpeg", "ffprobe");
 * ```
 */
export function assertBinaries(...binaries: string[]): void {
  const missing = binaries.filter((b) => !hasBinary(b));
  if (missing.length > 0) {
    throw new Error(`required binaries missing (CI=true forbids skipping): ${missing.join(", ")}`);
  }
}
