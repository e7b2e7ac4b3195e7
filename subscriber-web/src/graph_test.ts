import assert from "node:assert/strict";
import { niceCeil, SampleWindow } from "./graph.ts";

Deno.test("graph: keeps only the last 60 s (plus one sample reaching the edge)", () => {
  const w = new SampleWindow(60_000);
  for (let t = 0; t <= 120_000; t += 1000) w.push({ t, bitrateKbps: t / 1000, fps: 30 });
  const ts = w.samples.map((s) => s.t);
  assert.equal(ts[0], 60_000);
  assert.equal(ts.at(-1), 120_000);
  assert.equal(ts.length, 61);
  assert.equal(w.max("bitrateKbps"), 120);
  w.clear();
  assert.equal(w.samples.length, 0);
  assert.equal(w.max("fps"), 0);
});

Deno.test("graph: nulls are gaps, ignored by max", () => {
  const w = new SampleWindow();
  w.push({ t: 0, bitrateKbps: null, fps: null });
  w.push({ t: 1, bitrateKbps: 5, fps: null });
  assert.equal(w.max("bitrateKbps"), 5);
  assert.equal(w.max("fps"), 0);
});

Deno.test("graph: nice axis maxima", () => {
  assert.equal(niceCeil(0, 30), 50);
  assert.equal(niceCeil(29.97, 30), 50);
  assert.equal(niceCeil(31, 30), 50);
  assert.equal(niceCeil(1800, 100), 2000);
  assert.equal(niceCeil(2001, 100), 5000);
  assert.equal(niceCeil(100, 100), 100);
  assert.equal(niceCeil(5001), 10000);
  assert.equal(niceCeil(Number.NaN, 10), 10);
});
