import assert from "node:assert/strict";
import type { CostRow } from "../publisher_cost.ts";
import type { JanusAbResult } from "./ab.ts";
import { abFigures } from "./compare.ts";
import { janusMarkdown } from "./report.ts";
import { markdown } from "../report.ts";
import type { JanusCostRow } from "./viewers.ts";

const w = { wallS: 10, rssMiB: 0, rssMaxMiB: 0 };
const vigilRow = (viewers: number, cpuPerS: number, rssMaxMiB: number): CostRow => ({
  ...w,
  viewers,
  client: viewers ? "chromium" : "none",
  cpuPerS,
  rssMiB: rssMaxMiB,
  rssMaxMiB,
  cpuPerViewer: viewers ? (cpuPerS - 0.01) / viewers : 0,
  perViewer: Array.from({ length: viewers }, () => ({ framesPerS: 30, packetsLost: 0 })),
});
const janusRow = (viewers: number, cpuPerS: number, rssMaxMiB: number): JanusCostRow => ({
  ...w,
  viewers,
  cpuPerS,
  rssMiB: rssMaxMiB,
  rssMaxMiB,
  feederCpuPerS: 0.006,
  cpuPerViewer: viewers ? (cpuPerS - 0.004) / viewers : 0,
  perViewer: Array.from(
    { length: viewers },
    (_, i) => ({ framesPerS: i ? 30 : 29.5, framesDropped: 0, packetsLost: i }),
  ),
});

Deno.test("janusMarkdown: the figures beside Janus, per level, and the method", () => {
  const levels = [1, 2].map((n) => ({
    round: 1,
    viewers: n,
    first: "vigil" as const,
    vigil: vigilRow(n, 0.01 + 0.03 + 0.017 * n, 100 + n),
    janus: janusRow(n, 0.004 + 0.005 + 0.0064 * n, 25 + n),
  }));
  const idle = { vigil: [vigilRow(0, 0.01, 96)], janus: [janusRow(0, 0.004, 24)] };
  const ttffOf = (medianMs: number, srtp: string) => ({
    medianMs,
    p95Ms: medianMs + 10,
    samplesMs: [medianMs],
    method: "m",
    srtpCipher: srtp,
    dtlsCipher: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  });
  const ttff = {
    vigil: ttffOf(103, "SRTP_AEAD_AES_128_GCM"),
    janus: ttffOf(75, "SRTP_AEAD_AES_256_GCM"),
  };
  const { fit, figures } = abFigures(
    { idle: idle.vigil, levels: levels.map((l) => l.vigil), ttffMedianMs: 103 },
    { idle: idle.janus, levels: levels.map((l) => l.janus), ttffMedianMs: 75 },
  );
  const ab: JanusAbResult = {
    janusVersion: "1.1.2",
    config: { levels: [1, 2], rounds: 1, windowS: 10, ttffRuns: 1 },
    idle,
    levels,
    ttff,
    fit,
    figures,
  };
  const md = janusMarkdown(ab).join("\n");
  assert.match(md, /^## vigil beside Janus/);
  assert.match(md, /Janus 1\.1\.2 \(Debian\)/);
  assert.match(
    md,
    /\| CPU per added viewer [^|]*\| 0\.017 CPU-s\/s \| 0\.0064 CPU-s\/s \| 2\.66× \| ≤ Janus \| \*\*no\*\* \|/,
  );
  assert.match(
    md,
    /\| First-viewer surcharge [^|]*\| 0\.03 CPU-s\/s \| 0\.005 CPU-s\/s \| 6× \| ≤ 1\.5× Janus \| \*\*no\*\* \|/,
  );
  assert.match(
    md,
    /\| Resident memory, idle \| 96 MiB \| 24 MiB \| 4× \| ≤ 48 MiB \| \*\*no\*\* \|/,
  );
  assert.match(
    md,
    /\| Answer → first frame, median \| 103 ms \| 75 ms \| 1\.37× \| ≤ Janus \| \*\*no\*\* \|/,
  );
  // per level: both CPU-s/s, the added-cost ratio, the slowest viewer and the losses
  assert.match(md, /\| 2 \| 0\.074 \| 0\.0218 \| [\d.]+× \| 30 \/ 29\.5 \| 0 \/ 1 \|/);
  assert.match(md, /Janus SRTP_AEAD_AES_256_GCM/);
  const whole = markdown({
    date: "2026-01-01T00:00:00Z",
    host: { cpus: 2, cpuModel: "x", deno: "2.9.6" },
    config: {},
    janus: ab,
  });
  assert.match(whole, /## Targets[\s\S]*## vigil beside Janus[\s\S]*## Before \/ after/);
  assert.match(md, /Janus \+ feeder idle 0\.01 CPU-s\/s against vigil's 0\.01/);
});
