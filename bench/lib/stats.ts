/**
 * Small statistics for benchmark samples.
 *
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * quantile([1, 2, 3, 4], 0.95); // 4
 * ```
 * @module
 */

/** Nearest-rank quantile (`q` in 0..1); NaN for no samples. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}

/** Median (mean of the middle two for an even count); NaN for no samples. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounds to `digits` decimals. */
export function round(x: number, digits = 1): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

/** Promise-based sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A progress logger that prefixes the seconds since it was made. */
export function progressLog(): (msg: string) => void {
  const t0 = performance.now();
  return (msg) =>
    console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
}
