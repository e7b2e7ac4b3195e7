/**
 * Looks up executables on the PATH without spawning anything. Every failure,
 * including a missing `--allow-env=PATH` or `--allow-read` permission, reads as
 * "not found", so callers can fall back to a default name.
 *
 * @module
 */

/**
 * The absolute path of `binary` (searched on PATH unless it contains a slash),
 * or null when it is not found or the process may not look.
 *
 * @example
 * ```ts
 * findBinary("ffmpeg"); // "/usr/bin/ffmpeg"
 * findBinary("no-such-tool"); // null
 * ```
 */
export function findBinary(binary: string): string | null {
  let candidates: string[];
  try {
    candidates = binary.includes("/")
      ? [binary]
      : (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((d) => `${d}/${binary}`);
  } catch {
    return null;
  }
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // not here, or not allowed to look
    }
  }
  return null;
}

/**
 * Whether `binary` is an executable on the PATH (see {@linkcode findBinary}).
 *
 * @example
 * ```ts
 * if (!hasBinary("ffmpeg")) console.warn("ffmpeg missing");
 * ```
 */
export function hasBinary(binary: string): boolean {
  return findBinary(binary) !== null;
}

/**
 * Whether a path exists (a device node, a file), false when it does not or
 * may not be checked.
 *
 * @example
 * ```ts
 * pathExists("/dev/video11"); // true on a Raspberry Pi 4
 * ```
 */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
