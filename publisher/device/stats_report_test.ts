import assert from "node:assert/strict";
import { SourceMeter, statsReport } from "./stats_report.ts";

Deno.test("source meter: fps and bits per second over each interval, then a fresh one", () => {
  const m = new SourceMeter(0);
  for (let i = 0; i < 30; i++) m.add({ nalus: [new Uint8Array(1000), new Uint8Array(250)] });
  assert.deepEqual(m.take(2000), { fps: 15, bitrateBps: 150_000 });
  assert.deepEqual(m.take(3000), { fps: 0, bitrateBps: 0 });
  assert.deepEqual(m.take(3000), { fps: 0, bitrateBps: 0 }, "an empty interval");
});

Deno.test("stats report: the sessions' figures and this process's CPU and memory", () => {
  const r = statsReport(new SourceMeter(), { viewers: 2, packetsLost: () => 9 });
  assert.equal(r.viewers, 2);
  assert.equal(r.packetsLost, 9);
  assert.ok(r.cpuSeconds > 0, String(r.cpuSeconds));
  assert.ok(r.rssBytes > 1_000_000, String(r.rssBytes));
});
