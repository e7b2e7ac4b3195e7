/**
 * What the recording directory holds, for the uploader: which segments are
 * finished (ffmpeg lists a segment in its run's `seg-<run>.csv` when it
 * closes it), their wall-clock span, and which were acknowledged by the
 * server (an empty `<segment>.uploaded` marker, written after the ack).
 *
 * A segment of an earlier run that its list does not name was cut short
 * (ffmpeg or the whole device killed): it is finished too, playable up to its
 * last complete fragment, and its end is its last write (mtime).
 *
 * @module
 */

import { SEGMENT_NAME } from "./sweeper.ts";

/** Suffix of the marker written once the server acknowledged a segment. */
export const UPLOADED_SUFFIX = ".uploaded";

const LIST_NAME = /^seg-([0-9]{8}T[0-9]{9}Z)\.csv$/;
const RUN_OF = /^seg-([0-9]{8}T[0-9]{9}Z)-([0-9]{5,})\.mp4$/;

/** A finished segment ready to upload (or uploaded). */
export interface FinishedSegment {
  /** File name, e.g. `seg-20250102T030405678Z-00003.mp4`. */
  name: string;
  /** Id on the server: the name without `.mp4`. */
  id: string;
  /** Wall-clock start and end (ms since the epoch). */
  startMs: number;
  endMs: number;
  bytes: number;
  /** Whether the server acknowledged it. */
  uploaded: boolean;
}

/**
 * Parses a run stamp `YYYYMMDDTHHMMSSmmmZ` back to ms since the epoch.
 *
 * @example
 * ```ts
 * parseStamp("20250102T030405678Z"); // Date.UTC(2025, 0, 2, 3, 4, 5, 678)
 * ```
 */
export function parseStamp(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(stamp);
  if (!m) throw new Error(`not a segment stamp: ${stamp}`);
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/**
 * Parses ffmpeg's CSV segment list (`name,start,end` in seconds of the run).
 *
 * @example
 * ```ts
 * parseSegmentList("seg-a-00000.mp4,0.000000,10.000000\n"); // [{ name: "seg-a-00000.mp4", start: 0, end: 10 }]
 * ```
 */
export function parseSegmentList(text: string): { name: string; start: number; end: number }[] {
  const out: { name: string; start: number; end: number }[] = [];
  for (const line of text.split("\n")) {
    const [name, start, end] = line.trim().split(",");
    if (!name || !SEGMENT_NAME.test(name)) continue; // a half-written last line
    const s = Number(start), e = Number(end);
    if (!Number.isFinite(s) || !Number.isFinite(e) || e < s) continue;
    out.push({ name, start: s, end: e });
  }
  return out;
}

/** Pure part of {@linkcode finishedSegments}: decides from a listing. */
export function planFinished(
  files: { name: string; bytes: number; mtimeMs: number }[],
  lists: Map<string, string>,
  markers: ReadonlySet<string>,
  currentRun: string | null,
): FinishedSegment[] {
  const listed = new Map<string, { start: number; end: number }>();
  const lastEndOfRun = new Map<string, { index: number; end: number }[]>();
  for (const [run, text] of lists) {
    for (const e of parseSegmentList(text)) {
      listed.set(e.name, e);
      const idx = Number(RUN_OF.exec(e.name)?.[2] ?? 0);
      lastEndOfRun.set(run, [...(lastEndOfRun.get(run) ?? []), { index: idx, end: e.end }]);
    }
  }
  const out: FinishedSegment[] = [];
  for (const f of files) {
    const m = RUN_OF.exec(f.name);
    if (!m) continue;
    const run = m[1];
    const runStart = parseStamp(run);
    const e = listed.get(f.name);
    let startMs: number, endMs: number;
    if (e) {
      startMs = runStart + Math.round(e.start * 1000);
      endMs = runStart + Math.round(e.end * 1000);
    } else {
      if (run === currentRun) continue; // being written
      const index = Number(m[2]);
      const before = (lastEndOfRun.get(run) ?? []).filter((x) => x.index < index);
      const prevEnd = before.length ? Math.max(...before.map((x) => x.end)) : 0;
      startMs = runStart + Math.round(prevEnd * 1000);
      endMs = Math.max(startMs, Math.round(f.mtimeMs));
    }
    if (f.bytes === 0 || endMs <= startMs) continue;
    out.push({
      name: f.name,
      id: f.name.replace(/\.mp4$/, ""),
      startMs,
      endMs,
      bytes: f.bytes,
      uploaded: markers.has(f.name),
    });
  }
  return out.sort((a, b) => a.startMs - b.startMs || (a.name < b.name ? -1 : 1));
}

/**
 * The finished segments of `dir`, oldest first. `currentRun` is the stamp of
 * the ffmpeg run writing now (its unlisted segment is still open).
 *
 * @example
 * ```ts
 * const pending = (await finishedSegments("/rec", null)).filter((s) => !s.uploaded);
 * ```
 */
export async function finishedSegments(
  dir: string,
  currentRun: string | null,
): Promise<FinishedSegment[]> {
  const files: { name: string; bytes: number; mtimeMs: number }[] = [];
  const lists = new Map<string, string>();
  const markers = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const list = LIST_NAME.exec(entry.name);
    try {
      if (list) {
        lists.set(list[1], await Deno.readTextFile(`${dir}/${entry.name}`));
      } else if (entry.name.endsWith(UPLOADED_SUFFIX)) {
        markers.add(entry.name.slice(0, -UPLOADED_SUFFIX.length));
      } else if (SEGMENT_NAME.test(entry.name)) {
        const info = await Deno.stat(`${dir}/${entry.name}`);
        files.push({ name: entry.name, bytes: info.size, mtimeMs: info.mtime?.getTime() ?? 0 });
      }
    } catch {
      // deleted meanwhile
    }
  }
  return planFinished(files, lists, markers, currentRun);
}

/** Names of the segments acknowledged by the server (their markers). */
export async function uploadedNames(dir: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(UPLOADED_SUFFIX)) {
      out.add(entry.name.slice(0, -UPLOADED_SUFFIX.length));
    }
  }
  return out;
}
