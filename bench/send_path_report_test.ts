import assert from "node:assert/strict";
import type { SendPathResult } from "./send_path.ts";
import {
  figures,
  sendPathBeforeAfterRows,
  sendPathLevelTable,
  sendPathTargetRows,
} from "./send_path_report.ts";

const w = (cpuPerS: number, rss: number) => ({ cpuPerS, wallS: 10, rssMiB: rss, rssMaxMiB: rss });

function result(path: "werift" | "direct", slope: number, lost = 0): SendPathResult {
  const idle = 0.005;
  return {
    sendPath: path,
    round: 0,
    chromium: {
      idle: w(idle, 40),
      levels: [1, 2, 4, 8].map((n) => ({
        viewers: n,
        ...w(idle + 0.002 + n * slope, 40 + n * 10),
        perViewer: [],
      })),
      slopeCpuPerViewer: slope,
      interceptCpuPerS: idle + 0.002,
      firstViewerSurchargeCpuPerS: 0.002,
      rssAfterMiB: 60,
    },
    werift16: {
      viewers: 16,
      client: "werift",
      ...w(0.1, 90),
      cpuPerViewer: 0.006,
      perViewer: Array.from({ length: 16 }, () => ({ framesPerS: 30, packetsLost: lost })),
    },
  };
}

Deno.test("send path report: figures, targets judged, before/after ratios", async (t) => {
  const rs = [result("werift", 0.012, 3), result("direct", 0.006)];
  await t.step("figures of one path", () => {
    const d = figures(rs, "direct")!;
    assert.equal(d.slope, 0.006);
    assert.equal(d.rss4, 80);
    assert.equal(d.lost16, 0);
    assert.equal(figures(rs, "other"), null);
  });
  await t.step("targets: slope met, memory not", () => {
    const rows = sendPathTargetRows(rs).join("\n");
    assert.match(rows, /CPU per added viewer.*0\.006 CPU-s\/s.*\| yes \|/);
    assert.match(rows, /RSS, 4 Chromium viewers.*80 MiB.*\*\*no\*\*/);
    assert.match(rows, /0 packets lost, slowest 30 fps.*\| yes \|/);
  });
  await t.step("before/after: the direct path's ratio to werift's", () => {
    const rows = sendPathBeforeAfterRows(rs).join("\n");
    assert.match(rows, /CPU per added viewer \| 0\.012 CPU-s\/s \| 0\.006 CPU-s\/s \| 0\.5× \|/);
    assert.match(rows, /packets lost, 16 werift viewers \| 48 \| 0 \|/);
  });
  await t.step("level table: one line per path and round", () => {
    assert.equal(sendPathLevelTable(rs).length, 4);
    assert.deepEqual(sendPathTargetRows([]), []);
  });
});
