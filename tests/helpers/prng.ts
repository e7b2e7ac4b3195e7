/**
 * A tiny seeded PRNG (mulberry32) so that randomized tests reproduce from
 * their printed seed.
 *
 * @example
 * ```ts
 * const next = mulberry32(42);
 * next(); // a number in [0, 1), the same for every run with seed 42
 * ```
 * @module
 */

/** Returns a generator of numbers in [0, 1) determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
