/**
 * Applies a {@linkcode RetentionPolicy} to a recording directory.
 *
 * @module
 */

import { planRetention, type RetentionPolicy, type SegmentFile } from "./retention.ts";

const UPLOADED = ".uploaded";
const LIST = /^seg-([0-9]{8}T[0-9]{9}Z)\.csv$/;

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
  /** Removed segments that had not been uploaded yet (the quota forced them out). */
  droppedPending: string[];
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
  options: { nowMs?: number; protectNewest?: boolean; uploads?: boolean } = {},
): Promise<SweepResult> {
  const files = await listSegments(dir);
  // With uploads on, a segment without its `.uploaded` marker is still pending.
  const markers = new Set<string>();
  const lists: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile) continue;
    if (e.name.endsWith(UPLOADED)) markers.add(e.name.slice(0, -UPLOADED.length));
    else if (LIST.test(e.name)) lists.push(e.name);
  }
  const pending = new Set(
    options.uploads ? files.map((f) => f.name).filter((n) => !markers.has(n)) : [],
  );
  const protect = new Set<string>();
  if (options.protectNewest && files.length > 0) {
    const newest = files.reduce((a, b) =>
      b.mtimeMs > a.mtimeMs || (b.mtimeMs === a.mtimeMs && b.name > a.name) ? b : a
    );
    protect.add(newest.name);
  }
  const plan = planRetention(files, policy, options.nowMs ?? Date.now(), protect, pending);
  const removed: string[] = [];
  const quiet = async (path: string) => {
    try {
      await Deno.remove(path);
      return true;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return false;
    }
  };
  for (const name of plan.remove) {
    if (await quiet(`${dir}/${name}`)) removed.push(name);
    await quiet(`${dir}/${name}${UPLOADED}`);
  }
  // Markers and run lists whose segments are all gone (never the newest run's list).
  const left = new Set(plan.keep);
  for (const m of markers) if (!left.has(m)) await quiet(`${dir}/${m}${UPLOADED}`);
  const newestList = lists.sort().at(-1);
  for (const l of lists) {
    const run = LIST.exec(l)![1];
    if (l !== newestList && ![...left].some((n) => n.startsWith(`seg-${run}-`))) {
      await quiet(`${dir}/${l}`);
    }
  }
  return {
    removed,
    keptBytes: plan.keptBytes,
    droppedPending: plan.droppedPending.filter((n) => removed.includes(n)),
  };
}
