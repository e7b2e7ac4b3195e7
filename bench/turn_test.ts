import assert from "node:assert/strict";
import { turnMarkdown } from "./turn.ts";

Deno.test("turnMarkdown: one row per path, both figures", () => {
  const path = (p: "direct" | "turn", ms: number, cpu: number) => ({
    path: p,
    pair: p === "turn" ? "prflx → relay" : "host → host",
    ttffMedianMs: ms,
    ttffP95Ms: ms * 2,
    ttffSamplesMs: [ms],
    viewers: 2,
    cpuPerS: cpu * 2,
    cpuPerViewer: cpu,
  });
  const md = turnMarkdown({
    idleCpuPerS: 0.01,
    windowS: 10,
    paths: [path("direct", 97, 0.016), path("turn", 138, 0.013)],
    method: "m",
  });
  assert.match(md, /\| direct \| host → host \| 97 \/ 194 ms \(1 runs\) \| 0\.016 /);
  assert.match(md, /\| turn \| prflx → relay \| 138 \/ 276 ms/);
});
