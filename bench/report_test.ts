import assert from "node:assert/strict";
import { type BenchResults, markdown } from "./report.ts";
import type { CostRow } from "./publisher_cost.ts";

const sample = { wallS: 10, rssMiB: 100, rssMaxMiB: 100 };
const row = (viewers: number, cpuPerS: number, rssMaxMiB: number, lost = 0): CostRow => ({
  ...sample,
  viewers,
  client: viewers === 0 ? "none" : "werift",
  cpuPerS,
  rssMaxMiB,
  cpuPerViewer: viewers === 0 ? 0 : (cpuPerS - 0.01) / viewers,
  perViewer: Array.from({ length: viewers }, () => ({ framesPerS: 30, packetsLost: lost })),
});

Deno.test("markdown: targets judged from the figures, before/after ratios", () => {
  const r: BenchResults = {
    date: "2026-01-01T00:00:00Z",
    host: { cpus: 2, cpuModel: "x", deno: "2.9.6" },
    config: { windowS: 10, clip: {} },
    ttff: {
      runs: 2,
      vigil: { medianMs: 90, p95Ms: 100, samplesMs: [80, 100], method: "m" },
      baseline: {
        medianMs: 240,
        p95Ms: 250,
        samplesMs: [230, 250],
        method: "b",
        codec: "video/H264",
      },
    },
    publisherCost: [row(0, 0.01, 100), row(1, 0.04, 110), row(16, 0.2, 160, 3)],
  };
  const md = markdown(r);
  assert.match(
    md,
    /\| Time to first frame, median \(2 runs\) \| 90 ms \| 240 ms .*\| 0\.38× \| .* \| yes \|/,
  );
  assert.match(md, /Publisher CPU per viewer, 1 werift \| 0\.03 CPU-s\/s .*\| \*\*no\*\* \|/);
  assert.match(md, /Publisher CPU per viewer, 16 werift \| 0\.0119 CPU-s\/s .*\| yes \|/);
  assert.match(md, /Publisher resident memory, 16 werift \| max 160 MiB .*\| \*\*no\*\* \|/);
  assert.match(md, /16 viewers \(werift\) without loss \| 48 packets lost, .*\| \*\*no\*\* \|/);
});
