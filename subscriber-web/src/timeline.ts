/**
 * The recordings timeline's arithmetic (pure, unit-tested): the recorded
 * spans of a day with their gaps, where a time falls on the bar and back, and
 * which segment plays a chosen time.
 */

import type { Segment } from "./api.ts";

/** A continuous recorded span (ms since the epoch). */
export interface Span {
  start: number;
  end: number;
}

/** Joins segments closer than `gapMs` into spans; what is left between spans are the gaps. */
export function mergeSpans(segments: readonly Segment[], gapMs = 1500): Span[] {
  const out: Span[] = [];
  for (const s of [...segments].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && s.start - last.end <= gapMs) last.end = Math.max(last.end, s.end);
    else out.push({ start: s.start, end: s.end });
  }
  return out;
}

/** The local day [start, end) holding `t`. */
export function dayOf(t: number): Span {
  const d = new Date(t);
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  return { start, end };
}

/** The time at `x` of a bar `width` wide showing `range`. */
export function timeAtX(x: number, width: number, range: Span): number {
  const f = Math.min(1, Math.max(0, width > 0 ? x / width : 0));
  return range.start + f * (range.end - range.start);
}

/** Where `t` falls on a bar `width` wide showing `range`. */
export function xAtTime(t: number, width: number, range: Span): number {
  return ((t - range.start) / (range.end - range.start)) * width;
}

/**
 * The segment that plays `t` and the offset into it (s): the one holding `t`,
 * else (in a gap) the next one from its start; null after the last one.
 */
export function segmentAt(
  segments: readonly Segment[],
  t: number,
): { index: number; offsetS: number } | null {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (t < s.start) return { index: i, offsetS: 0 };
    if (t < s.end) return { index: i, offsetS: (t - s.start) / 1000 };
  }
  return null;
}

/** `HH:MM:SS` of a local time. */
export function clockText(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The local time of `HH:MM[:SS]` on the day starting at `dayStart`, or null. */
export function parseClock(text: string, dayStart: number): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return null;
  const d = new Date(dayStart);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, mi, s).getTime();
}
