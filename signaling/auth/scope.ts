/**
 * A viewer's camera scope: the `cams` claim of its access token (camera ids,
 * or `["*"]` for all).
 * @module
 */

/**
 * Whether a viewer with scope `cams` may watch `camera`.
 *
 * @example
 * ```ts
 * mayWatch(["door"], "door"); // true
 * mayWatch(["*"], "garden"); // true
 * ```
 */
export function mayWatch(cams: readonly string[], camera: string): boolean {
  return cams.includes("*") || cams.includes(camera);
}
