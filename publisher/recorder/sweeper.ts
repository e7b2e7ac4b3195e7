/**
 * Applies a {@linkcode RetentionPolicy} to a recording directory.
 *
 * @module
 */

import { planRetention, type RetentionPolicy, type SegmentFile } from "./retention.ts";

/** File names the recorder writes: `seg-<UTC start>-<index>.mp4`. */
export const SEGMENT_NAME = /^seg-[0-9]{8}T[0-9]{9}Z-[0-9]{5,}\.mp4$/;

/**
 * Lists the recording segments of a directory (other files are ignored).
 *
 * @example
 * ```ts
 * const files = await listSegments("/var/lib/vigil/recordings");
 * ```
 */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const files: SegmentFile[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !SEGMENT_NAME.test(entry.name)) continue;
    try {
      const info = await Deno.stat(`${dir}/${entry.name}`);
      files.push({ name: entry.name, sizeBytes: info.size, mtimeMs: info.mtime?.getTime() ?? 0 });
    } catch {
      // deleted meanwhile
    }
  }
  return files;
}

/** Result of {@linkcode sweepSegments}. */
export interface SweepResult {
  /** Names deleted, oldest first. */
  removed: string[];
  /** Bytes left in the directory's segments. */
  keptBytes: number;
}

/**
 * Deletes the segments the policy rejects, oldest first. With `protectNewest`
 * the most recent segment (the one being written) is kept whatever the policy.
 *
 * @example
 * ```ts
 * await sweepSegments(dir, { maxAgeMs: 86_400_000, maxTotalBytes: 2 ** 30 }, { protectNewest: true });
 * ```
 */
export async function sweepSegments(
  dir: string,
  policy: RetentionPolicy,
  options: { nowMs?: number; protectNewest?: boolean } = {},
): Promise<SweepResult> {
  const files = await listSegments(dir);
  const protect = new Set<string>();
  if (options.protectNewest && files.length > 0) {
    const newest = files.reduce((a, b) =>
      b.mtimeMs > a.mtimeMs || (b.mtimeMs === a.mtimeMs && b.name > a.name) ? b : a
    );
    protect.add(newest.name);
  }
  const plan = planRetention(files, policy, options.nowMs ?? Date.now(), protect);
  const removed: string[] = [];
  for (const name of plan.remove) {
    try {
      await Deno.remove(`${dir}/${name}`);
      removed.push(name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return { removed, keptBytes: plan.keptBytes };
}
