/**
 * Which recording segments to delete: pure planning, no I/O.
 *
 * @module
 */

/** A segment file as seen in the recording directory. */
export interface SegmentFile {
  /** File name (no directory). */
  name: string;
  /** Size in bytes. */
  sizeBytes: number;
  /** Last modification time (ms since the epoch): when the segment was last written. */
  mtimeMs: number;
}

/** Limits of a recording directory; absent limits do not apply. */
export interface RetentionPolicy {
  /** Delete segments last written longer ago than this. */
  maxAgeMs?: number;
  /** Delete the oldest segments until the total is at most this. */
  maxTotalBytes?: number;
}

/** The outcome of {@linkcode planRetention}. */
export interface RetentionPlan {
  /** Names to delete, oldest first. */
  remove: string[];
  /** Names kept, oldest first. */
  keep: string[];
  /** Total bytes kept. */
  keptBytes: number;
  /** Names in `remove` that were still waiting for upload (the quota forced them out). */
  droppedPending: string[];
}

/**
 * Plans deletions: first every segment older than `maxAgeMs`, then, oldest
 * first, until the rest fits in `maxTotalBytes`. Order is by mtime, then name.
 * Names in `protect` (the segment being written) are never deleted. Names in
 * `pending` (not uploaded yet) outlive `maxAgeMs` and leave last under the
 * quota: uploaded copies go first, so footage not yet off the device is the
 * last to be lost.
 *
 * @example
 * ```ts
 * planRetention(
 *   [{ name: "a.mp4", sizeBytes: 10, mtimeMs: 1 }, { name: "b.mp4", sizeBytes: 10, mtimeMs: 2 }],
 *   { maxTotalBytes: 15 },
 *   Date.now(),
 * ).remove; // ["a.mp4"]
 * ```
 */
export function planRetention(
  files: readonly SegmentFile[],
  policy: RetentionPolicy,
  nowMs: number,
  protect: ReadonlySet<string> = new Set(),
  pending: ReadonlySet<string> = new Set(),
): RetentionPlan {
  const sorted = [...files].sort((a, b) =>
    a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  const removed = new Set<string>();
  if (policy.maxAgeMs !== undefined) {
    for (const f of sorted) {
      if (nowMs - f.mtimeMs > policy.maxAgeMs && !protect.has(f.name) && !pending.has(f.name)) {
        removed.add(f.name);
      }
    }
  }
  let total = 0;
  for (const f of sorted) if (!removed.has(f.name)) total += f.sizeBytes;
  if (policy.maxTotalBytes !== undefined) {
    const max = policy.maxTotalBytes;
    const uploadedFirst = [
      ...sorted.filter((f) => !pending.has(f.name)),
      ...sorted.filter((f) => pending.has(f.name)),
    ];
    for (const f of uploadedFirst) {
      if (total <= max) break;
      if (removed.has(f.name) || protect.has(f.name)) continue;
      removed.add(f.name);
      total -= f.sizeBytes;
    }
  }
  return {
    droppedPending: sorted.filter((f) => removed.has(f.name) && pending.has(f.name)).map((f) =>
      f.name
    ),
    remove: sorted.filter((f) => removed.has(f.name)).map((f) => f.name),
    keep: sorted.filter((f) => !removed.has(f.name)).map((f) => f.name),
    keptBytes: total,
  };
}
