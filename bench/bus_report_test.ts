import assert from "node:assert/strict";
import {
  type BusBenchResult,
  busMarkdown,
  latencySummary,
  perSecond,
  ratioText,
} from "./bus_report.ts";

Deno.test("bus report: latency quantiles and rates", () => {
  const samples = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
  assert.deepEqual(latencySummary(samples), { p50Ms: 50, p99Ms: 99 });
  assert.deepEqual(latencySummary([0.1234567]), { p50Ms: 0.123, p99Ms: 0.123 });
  assert.throws(() => latencySummary([]), RangeError);
  assert.equal(perSecond(500, 250), 2000);
  assert.throws(() => perSecond(1, 0), RangeError);
  assert.equal(ratioText(73.6, 1), "74×");
  assert.equal(ratioText(2.54, 1), "2.5×");
  assert.equal(ratioText(15399, 317186), "0.049×");
  assert.equal(ratioText(1, 0), "—");
});

Deno.test("bus report: markdown puts both buses and their ratio side by side", () => {
  const r: BusBenchResult = {
    settings: { sequentialRequests: 10, concurrentRequests: 20, concurrency: 4, messages: 30 },
    payload: { offerBytes: 4000, answerBytes: 1500, messageBytes: 200 },
    inProcess: { requestP50Ms: 0.02, requestP99Ms: 0.1, requestsPerS: 100_000, messagesPerS: 1e6 },
    nats: {
      requestP50Ms: 0.2,
      requestP99Ms: 0.5,
      requestsPerS: 10_000,
      messagesPerS: 250_000,
      server: "2.9.10",
    },
  };
  const md = busMarkdown(r);
  assert.match(md, /^## Bus: in-process vs NATS$/m);
  assert.match(md, /^\| offer round trip p50 \| 0\.02 ms \| 0\.2 ms \| 10× \|$/m);
  assert.match(md, /^\| offer round trip p99 \| 0\.1 ms \| 0\.5 ms \| 5× \|$/m);
  assert.match(md, /^\| offers\/s \(4 in flight\) \| 100000 \/s \| 10000 \/s \| 0\.1× \|$/m);
  assert.match(md, /^\| messages\/s \| 1000000 \/s \| 250000 \/s \| 0\.25× \|$/m);
  assert.match(md, /request 4000 B of SDP, reply 1500 B/);
  assert.match(md, /nats-server 2\.9\.10/);
});
