import assert from "node:assert/strict";
import { abFigures, judge, leastSquares } from "./compare.ts";

Deno.test("leastSquares", async (t) => {
  await t.step("points on a line give its slope and intercept, r2 = 1", () => {
    const f = leastSquares([[1, 0.03], [2, 0.05], [4, 0.09], [8, 0.17]]);
    assert.ok(Math.abs(f.slope - 0.02) < 1e-12);
    assert.ok(Math.abs(f.intercept - 0.01) < 1e-12);
    assert.ok(Math.abs(f.r2 - 1) < 1e-12);
    assert.equal(f.points, 4);
  });
  await t.step("noisy repeated levels: the textbook fit", () => {
    // x̄ = 2.5, ȳ = 3.5, Sxx = 9, Sxy = 12 → slope 4/3, intercept 1/6; SSE 1, Syy 17.
    const f = leastSquares([[1, 1], [1, 2], [4, 5], [4, 6]]);
    assert.ok(Math.abs(f.slope - 4 / 3) < 1e-12);
    assert.ok(Math.abs(f.intercept - 1 / 6) < 1e-12);
    assert.ok(Math.abs(f.r2 - 16 / 17) < 1e-12);
  });
  await t.step("constant y: slope 0, r2 undefined", () => {
    const f = leastSquares([[1, 2], [3, 2]]);
    assert.equal(f.slope, 0);
    assert.equal(f.intercept, 2);
    assert.ok(Number.isNaN(f.r2));
  });
  await t.step("one x value cannot be fitted", () => {
    assert.throws(() => leastSquares([[2, 1], [2, 3]]), /two or more distinct x/);
    assert.throws(() => leastSquares([[1, 1]]), /two or more distinct x/);
  });
});

Deno.test("judge", async (t) => {
  const fig = (vigil: number, janus: number, max = 1) => ({
    metric: "m",
    unit: "CPU-s/s",
    vigil,
    janus,
    rule: { kind: "ratio" as const, max },
  });
  await t.step("ratio rule: at or below max × Janus is met", () => {
    const r = judge(fig(0.017, 0.0064));
    assert.ok(Math.abs(r.ratio! - 2.65625) < 1e-9);
    assert.equal(r.met, false);
    assert.equal(r.target, "≤ Janus");
    assert.equal(judge(fig(0.0064, 0.0064)).met, true);
    const r2 = judge(fig(0.006, 0.004, 1.5));
    assert.equal(r2.met, true);
    assert.equal(r2.target, "≤ 1.5× Janus");
    assert.equal(judge(fig(0.0061, 0.004, 1.5)).met, false);
  });
  await t.step("non-positive Janus figure: no ratio, met only if vigil is no higher", () => {
    const r = judge(fig(0.001, -0.002, 1.5));
    assert.equal(r.ratio, null);
    assert.equal(r.met, false);
    assert.equal(judge(fig(-0.003, -0.002, 1.5)).met, true);
    assert.equal(judge(fig(0, 0)).met, true);
  });
  await t.step("limit rule: vigil against the limit, ratio still shown", () => {
    const r = judge({
      metric: "RSS idle",
      unit: "MiB",
      vigil: 96,
      janus: 24,
      rule: { kind: "limit", limit: 48, label: "≤ 48 MiB" },
    });
    assert.equal(r.ratio, 4);
    assert.equal(r.met, false);
    assert.equal(r.target, "≤ 48 MiB");
    assert.equal(judge({ ...r, vigil: 47.9 }).met, true);
  });
  await t.step("a missing figure is never met", () => {
    const r = judge(fig(NaN, 0.004));
    assert.equal(r.met, false);
    assert.equal(r.ratio, null);
  });
});

Deno.test("abFigures: fit over all rounds, medians over rounds, each figure judged", () => {
  const levels = (perViewer: number, fixed: number, rss4: number) =>
    [1, 2, 4, 8].flatMap((n) =>
      [0, 1].map((round) => ({
        viewers: n,
        // ±0.001 alternating noise that cancels in the fit
        cpuPerS: fixed + perViewer * n + (round ? 0.001 : -0.001),
        rssMaxMiB: n === 4 ? rss4 + round : 0,
      }))
    );
  const vigil = {
    idle: [{ cpuPerS: 0.009, rssMiB: 96 }, { cpuPerS: 0.011, rssMiB: 98 }],
    levels: levels(0.017, 0.03, 115),
    ttffMedianMs: 103,
  };
  const janus = {
    idle: [{ cpuPerS: 0.004, rssMiB: 24 }, { cpuPerS: 0.004, rssMiB: 26 }],
    levels: levels(0.0064, 0.009, 27),
    ttffMedianMs: 75,
  };
  const { fit, figures } = abFigures(vigil, janus);
  assert.ok(Math.abs(fit.vigil.slope - 0.017) < 1e-12);
  assert.ok(Math.abs(fit.janus.intercept - 0.009) < 1e-12);
  const fig = (prefix: string) => figures.find((f) => f.metric.startsWith(prefix))!;
  const perViewer = fig("CPU per added viewer");
  assert.ok(Math.abs(perViewer.ratio! - 0.017 / 0.0064) < 1e-9);
  assert.equal(perViewer.met, false);
  const surcharge = fig("First-viewer surcharge");
  assert.ok(Math.abs(surcharge.vigil - 0.02) < 1e-12); // 0.03 − median idle 0.01
  assert.ok(Math.abs(surcharge.janus - 0.005) < 1e-12);
  assert.equal(surcharge.met, false);
  assert.ok(Math.abs(fig("Idle CPU").vigil - 0.01) < 1e-12); // median of 0.009, 0.011
  assert.equal(fig("Idle CPU").met, false);
  const rssIdle = fig("Resident memory, idle");
  assert.equal(rssIdle.vigil, 97);
  assert.equal(rssIdle.janus, 25);
  assert.equal(rssIdle.met, false);
  const rss4 = fig("Resident memory, 4");
  assert.equal(rss4.vigil, 115.5);
  assert.equal(rss4.target, "≤ 64 MiB");
  assert.equal(fig("Answer → first frame").met, false);

  const better = abFigures(
    { ...janus, levels: levels(0.005, 0.008, 40), ttffMedianMs: 70 },
    janus,
  );
  assert.deepEqual(better.figures.map((f) => f.met), [true, true, true, true, true, true]);
});
