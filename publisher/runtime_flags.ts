/**
 * V8 settings of the publisher process, added by the `publish` launcher after
 * the permission flags.
 *
 * `--max-semi-space-size=4` (MiB): every RTP packet of every viewer allocates a
 * few short-lived buffers in werift (header, SRTP output, cipher objects), so
 * the young generation fills fast and V8 grows it to its 16 MiB limit per
 * semi-space; those pages stay committed after the viewers leave. With 4 MiB,
 * `deno task bench:profile 16` measured the publisher's peak RSS at 165 MiB
 * instead of 211–217 MiB with no measurable CPU cost (0.219 vs 0.229–0.231
 * CPU-s/s); 1–2 MiB cost 15–30 % more CPU. `deno task bench` repeats the
 * comparison in every run (bench/RESULTS.md, "V8 young generation").
 *
 * @module
 */

/** The V8 flag value, also used by the benchmark's before/after comparison. */
export const PUBLISHER_V8_FLAGS = "--max-semi-space-size=4";

/** `deno run` flags (not permissions) for `publisher/main.ts`. */
export function publisherRuntimeFlags(): string[] {
  return [`--v8-flags=${PUBLISHER_V8_FLAGS}`];
}
