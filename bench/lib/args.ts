/**
 * Whole-number settings of the bench tools (arguments, environment), checked
 * up front so that a typo stops with a clear message instead of a NaN run.
 *
 * @example
 * ```ts
 * countSetting("VIEWERS", Deno.args[0], 8, 1, 64); // 8 when absent; throws on "abc" or 0
 * ```
 * @module
 */

/** Thrown for a bad setting; the tools print its message without a stack. */
export class SettingError extends Error {}

/** `value` as a whole number in [min, max], or `fallback` when absent or empty. */
export function countSetting(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SettingError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
