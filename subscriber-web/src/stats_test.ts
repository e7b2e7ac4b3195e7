import assert from "node:assert/strict";
import {
  computeStats,
  formatStat,
  intervalLossPct,
  snapshotFromReport,
  type StatsSnapshot,
} from "./stats.ts";

/** A getStats()-like report (Map of id → stat). */
function report(
  ts: number,
  inbound: Record<string, unknown>,
  extra: Record<string, unknown>[] = [],
) {
  const stats: Record<string, unknown>[] = [
    { id: "IT01V", type: "inbound-rtp", kind: "video", timestamp: ts, ...inbound },
    { id: "T01", type: "transport", timestamp: ts, selectedCandidatePairId: "CP1" },
    {
      id: "CP1",
      type: "candidate-pair",
      timestamp: ts,
      state: "succeeded",
      currentRoundTripTime: 0.0123,
    },
    { id: "CP2", type: "candidate-pair", timestamp: ts, state: "failed", currentRoundTripTime: 9 },
    ...extra,
  ];
  return new Map(stats.map((s) => [s.id as string, s]));
}

const base = {
  bytesReceived: 1_000_000,
  packetsReceived: 1000,
  packetsLost: 10,
  framesDecoded: 300,
  frameWidth: 1280,
  frameHeight: 720,
  framesPerSecond: 29,
  jitter: 0.0042,
};

Deno.test("stats: snapshot picks the inbound video stream and the selected pair's RTT", () => {
  const snap = snapshotFromReport(
    report(1000, base, [{ id: "IT02A", type: "inbound-rtp", kind: "audio", bytesReceived: 9e9 }]),
  );
  assert.ok(snap);
  assert.equal(snap.streamId, "IT01V");
  assert.equal(snap.bytesReceived, 1_000_000);
  assert.equal(snap.roundTripTime, 0.0123);
  assert.equal(snap.frameWidth, 1280);
});

Deno.test("stats: no inbound video → undefined, and empty stats", () => {
  assert.equal(snapshotFromReport(new Map()), undefined);
  const s = computeStats(undefined, undefined, 250);
  assert.equal(s.bitrateKbps, null);
  assert.equal(s.ttffMs, 250);
});

Deno.test("stats: rates come from the delta between two reports", () => {
  const a = snapshotFromReport(report(10_000, base));
  const b = snapshotFromReport(report(11_000, {
    ...base,
    bytesReceived: 1_000_000 + 250_000, // 250 kB in 1 s = 2000 kbps
    packetsReceived: 1000 + 198,
    packetsLost: 10 + 2, // 2 of 200 = 1 %
    framesDecoded: 300 + 30,
  }));
  const s = computeStats(a, b, 337.6);
  assert.deepEqual(s, {
    width: 1280,
    height: 720,
    fps: 30,
    bitrateKbps: 2000,
    packetsLost: 12,
    lossPct: 1,
    rttMs: 12.3,
    jitterMs: 4.2,
    framesDecoded: 330,
    ttffMs: 338,
  });
});

Deno.test("stats: first report uses framesPerSecond and has no bitrate yet", () => {
  const s = computeStats(undefined, snapshotFromReport(report(1, base)));
  assert.equal(s.fps, 29);
  assert.equal(s.bitrateKbps, null);
  assert.equal(s.lossPct, null);
});

Deno.test("stats: a new stream (counters restarted) ignores the previous snapshot", () => {
  const prev: StatsSnapshot = {
    timestamp: 1000,
    streamId: "IT01V",
    bytesReceived: 5_000_000,
    packetsReceived: 5000,
    packetsLost: 0,
    framesDecoded: 900,
  };
  const cur = snapshotFromReport(report(2000, { ...base, bytesReceived: 1000 }));
  assert.equal(computeStats(prev, cur).bitrateKbps, null);
  const other = {
    ...prev,
    streamId: "IT99V",
    bytesReceived: 0,
    framesDecoded: 0,
    packetsReceived: 0,
  };
  assert.equal(computeStats(other, snapshotFromReport(report(2000, base))).bitrateKbps, null);
  const future = {
    ...prev,
    timestamp: 5000,
    bytesReceived: 0,
    framesDecoded: 0,
    packetsReceived: 0,
  };
  assert.equal(computeStats(future, snapshotFromReport(report(2000, base))).bitrateKbps, null);
});

Deno.test("stats: interval loss handles duplicates (negative lost) and no traffic", () => {
  assert.equal(intervalLossPct(5, 95), 5);
  assert.equal(intervalLossPct(-3, 100), 0);
  assert.equal(intervalLossPct(0, 0), null);
  assert.equal(intervalLossPct(1, 2), 33.33);
});

Deno.test("stats: RTT falls back to a nominated pair, then to remote-outbound-rtp", () => {
  const noTransport = new Map<string, unknown>([
    ["IT", { id: "IT", type: "inbound-rtp", kind: "video", timestamp: 1 }],
    ["CP", {
      id: "CP",
      type: "candidate-pair",
      state: "succeeded",
      nominated: true,
      currentRoundTripTime: 0.02,
    }],
  ]);
  assert.equal(snapshotFromReport(noTransport)?.roundTripTime, 0.02);
  const rtcpOnly = new Map<string, unknown>([
    ["IT", { id: "IT", type: "inbound-rtp", mediaType: "video", timestamp: 1 }],
    ["RO", { id: "RO", type: "remote-outbound-rtp", roundTripTime: 0.05 }],
  ]);
  assert.equal(snapshotFromReport(rtcpOnly)?.roundTripTime, 0.05);
});

Deno.test("stats: also accepts a plain array of stats", () => {
  const snap = snapshotFromReport([{
    id: "IT",
    type: "inbound-rtp",
    kind: "video",
    timestamp: 5,
    bytesReceived: 7,
  }]);
  assert.equal(snap?.bytesReceived, 7);
});

Deno.test("stats: formatting", () => {
  assert.equal(formatStat("bitrateKbps", 850), "850 kbps");
  assert.equal(formatStat("bitrateKbps", 2150), "2.15 Mbps");
  assert.equal(formatStat("rttMs", 12.3), "12.3 ms");
  assert.equal(formatStat("lossPct", 0.5), "0.50 %");
  assert.equal(formatStat("fps", null), "–");
});
