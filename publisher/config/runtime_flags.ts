/**
 * Runtime settings of the publisher process, added by the `publish` launcher:
 * V8 flags after the permission flags, and a glibc malloc tunable in its
 * environment.
 *
 * `--max-semi-space-size=4` (MiB): every RTP packet of every viewer allocates a
 * few short-lived buffers in werift (header, SRTP output, cipher objects), so
 * the young generation fills fast and V8 grows it to its 16 MiB limit per
 * semi-space; those pages stay committed after the viewers leave. With 4 MiB,
 * `deno task bench:profile 16` measured the publisher's peak RSS at 165 MiB
 * instead of 211–217 MiB with no measurable CPU cost (0.219 vs 0.229–0.231
 * CPU-s/s); 1–2 MiB cost 15–30 % more CPU. `deno task bench` repeats the
 * comparison in every run (bench/RESULTS.md, "Memory settings").
 *
 * `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536`: glibc raises its mmap
 * threshold each time a large mmap'd block is freed, after which such blocks
 * come from the heap and leave it fragmented; per-packet buffers then keep the
 * RSS high after viewers leave. A fixed 64 KiB threshold returns large blocks to
 * the system: 16 viewers peaked at 139–142 MiB instead of 153–164 MiB
 * (`bench:profile 16`, alternating runs), CPU within noise. Ignored by other C
 * libraries (musl).
 *
 * @module
 */

/** The V8 flag value, also used by the benchmark's before/after comparison. */
export const PUBLISHER_V8_FLAGS = "--max-semi-space-size=4";

/** The glibc malloc tunables of the publisher process. */
export const PUBLISHER_MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=65536";

/**
 * Environment additions for the publisher process: the malloc tunables, after
 * any the operator already set (`current`, the launcher's GLIBC_TUNABLES).
 *
 * @example
 * ```ts
 * publisherRuntimeEnv(undefined); // { GLIBC_TUNABLES: "glibc.malloc.mmap_threshold=65536" }
 * ```
 */
export function publisherRuntimeEnv(current: string | undefined): Record<string, string> {
  const mine = PUBLISHER_MALLOC_TUNABLES;
  if (!current) return { GLIBC_TUNABLES: mine };
  // An operator's own mmap_threshold wins: glibc applies the last occurrence.
  return { GLIBC_TUNABLES: `${mine}:${current}` };
}

/** `deno run` flags (not permissions) for `publisher/main.ts`. */
export function publisherRuntimeFlags(): string[] {
  return [`--v8-flags=${PUBLISHER_V8_FLAGS}`];
}
