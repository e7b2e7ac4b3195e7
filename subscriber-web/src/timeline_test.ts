import assert from "node:assert/strict";
import type { Segment } from "./api.ts";
import {
  clockText,
  dayOf,
  mergeSpans,
  parseClock,
  segmentAt,
  timeAtX,
  xAtTime,
} from "./timeline.ts";

const seg = (start: number, end: number): Segment => ({ start, end, bytes: 1, url: "/media/x" });

Deno.test("timeline: spans and gaps, positions, the segment of a time", () => {
  const segs = [seg(0, 1000), seg(1000, 2000), seg(2500, 3000), seg(10_000, 11_000)];
  assert.deepEqual(mergeSpans(segs), [{ start: 0, end: 3000 }, { start: 10_000, end: 11_000 }]);
  const range = { start: 0, end: 1000 };
  assert.equal(timeAtX(250, 1000, range), 250);
  assert.equal(timeAtX(-5, 1000, range), 0);
  assert.equal(timeAtX(5000, 1000, range), 1000);
  assert.equal(xAtTime(500, 200, range), 100);
  assert.deepEqual(segmentAt(segs, 1500), { index: 1, offsetS: 0.5 });
  assert.deepEqual(segmentAt(segs, 5000), { index: 3, offsetS: 0 }, "a gap plays the next one");
  assert.equal(segmentAt(segs, 20_000), null);
  const day = dayOf(Date.now());
  assert.equal(new Date(day.start).getHours(), 0);
  assert.ok(day.end - day.start >= 23 * 3600_000);
  const t = parseClock("13:05:09", day.start)!;
  assert.equal(clockText(t), "13:05:09");
  assert.equal(parseClock("25:00", day.start), null);
  assert.equal(parseClock("noon", day.start), null);
});
