import assert from "node:assert/strict";
import { chartSvg } from "./chart.ts";
import type { BenchResults } from "./report.ts";

const base: BenchResults = { date: "d", host: { cpus: 2, cpuModel: "x", deno: "2" }, config: {} };

Deno.test("chartSvg: nothing to chart gives null", () => {
  assert.equal(chartSvg(base), null);
});

Deno.test("chartSvg: one bar per figure, vigil in blue, the target line labelled", () => {
  const r = {
    ...base,
    ttff: {
      runs: 2,
      vigil: { medianMs: 120, p95Ms: 130, samplesMs: [110, 130], method: "" },
      baseline: {
        medianMs: 240,
        p95Ms: 250,
        samplesMs: [230, 250],
        method: "",
        codec: "video/H264",
      },
    },
  } as BenchResults;
  const svg = chartSvg(r)!;
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<rect x=/g) ?? []).length, 2);
  assert.match(svg, /fill="#2f6fb3"/);
  assert.match(svg, />120 ms</);
  assert.match(svg, />100 ms</);
  assert.match(svg, /Chromium→Chromium/);
});
