/**
 * Runtime settings of the publisher process, added by the `publish` launcher:
 * V8 flags after the permission flags, and a glibc malloc tunable in its
 * environment.
 *
 * `--max-semi-space-size=1` (MiB): the publisher's garbage is short-lived (RTP
 * headers, per-picture payloads, werift's RTCP and DTLS records), so V8 grows
 * its young generation towards the 16 MiB-per-semi-space limit, and those pages
 * stay committed after the viewers leave. It was 4 while werift encrypted every
 * packet with new objects (1–2 MiB then cost 15–30 % more CPU); the direct send
 * path allocates almost nothing per packet, and 1 MiB measured (publisher
 * launched as `deno task publish` does, werift viewers, loaded 2-core machine,
 * alternating runs): idle RSS 76 → 71.5 MiB (RssAnon 30.4 → 25.4), 4 viewers
 * max 113 → 102 MiB (RssAnon 61 → 48), 16 viewers 137–140 → 132–134 MiB with
 * task-clock 1.37–1.46 vs 1.49–1.50 s per 9 s, no loss either way.
 * `deno task bench` repeats the comparison in every run (bench/RESULTS.md,
 * "Memory settings").
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
export const PUBLISHER_V8_FLAGS = "--max-semi-space-size=1";

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
