/**
 * Durations as operators write them: `15m`, `90s`, `24h`, `7d`, `250ms` or
 * plain milliseconds.
 *
 * @example
 * ```ts
 * parseDuration("15m"); // 900000
 * formatDuration(900_000); // "15m"
 * ```
 * @module
 */
import { UsageError } from "./cli.ts";

const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration into milliseconds; throws {@linkcode UsageError} on anything else. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration "${text}" (use e.g. 90s, 15m, 24h, 7d)`);
  return Number(m[1]) * UNITS[(m[2] ?? "ms") as keyof typeof UNITS];
}

/** The shortest exact text for a number of milliseconds (`90000` → `"90s"`). */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms !== 0 && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
