/**
 * Bus benchmark: is event streaming a viable backbone for signaling? The
 * same load on the in-process bus and on NATS (a real nats-server, two
 * connections as two nodes) in one run:
 *
 * - offer round trip: a WHEP-offer-sized request, an answer-sized reply, one
 *   at a time → p50/p99 latency;
 * - offers/s with several in flight;
 * - candidate-sized messages/s from a publisher to a subscriber.
 *
 * Run alone: `deno run -A bench/bus.ts` (prints markdown and JSON); from
 * bench/run.ts: `await benchBus(settings)`. Environment: BENCH_BUS_REQUESTS
 * (2000 sequential), BENCH_BUS_CONCURRENT (5000), BENCH_BUS_CONCURRENCY (32),
 * BENCH_BUS_MESSAGES (50000).
 *
 * @module
 */
import { type EventBus, InProcessBus } from "../signaling/bus/bus.ts";
import { topics } from "../signaling/bus/topics.ts";
import { NatsBus } from "../signaling/bus/nats_bus.ts";
import { startNats } from "../tests/helpers/cluster/nats_server.ts";
import { countSetting, SettingError } from "./lib/args.ts";
import {
  type BusBenchResult,
  type BusFigures,
  busMarkdown,
  latencySummary,
  perSecond,
} from "./bus_report.ts";

/** Load of one run. */
export interface BusBenchSettings {
  sequentialRequests: number;
  concurrentRequests: number;
  concurrency: number;
  messages: number;
}

const TOPIC = topics.offer("bench-cam");
const MESSAGES = topics.control("bench-cam");

/** SDP-shaped text of about `bytes` bytes (H.264 payload types, as a browser offers). */
function sdpOfSize(bytes: number, role: "offer" | "answer"): string {
  const head = [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + Array(32).fill("AB").join(":"),
    `a=setup:${role === "offer" ? "actpass" : "passive"}`,
    "a=mid:0",
    `a=${role === "offer" ? "recvonly" : "sendonly"}`,
    "a=rtcp-mux",
  ];
  const lines = [...head];
  for (let pt = 96; lines.join("\r\n").length < bytes; pt++) {
    lines.push(
      `a=rtpmap:${pt} H264/90000`,
      `a=rtcp-fb:${pt} nack`,
      `a=rtcp-fb:${pt} nack pli`,
      `a=fmtp:${pt} level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f`,
    );
  }
  return lines.join("\r\n").slice(0, bytes);
}

const OFFER = {
  sessionId: "4f1c2a9e-0000-4000-8000-000000000001",
  sdp: sdpOfSize(4000, "offer"),
  viewer: "bench",
};
const ANSWER = { sdp: sdpOfSize(1500, "answer") };
const CANDIDATE = {
  type: "candidate" as const,
  sessionId: OFFER.sessionId,
  candidate: "a=candidate:1 1 udp 2130706431 127.0.0.1 54321 typ host generation 0 ufrag abcd",
};

/** One bus pair's figures (`a` asks and publishes, `b` answers and subscribes). */
async function measure(
  a: EventBus,
  b: EventBus,
  settle: () => Promise<void>,
  s: BusBenchSettings,
): Promise<BusFigures> {
  const off = b.respond(TOPIC, async () => {
    await Promise.resolve(); // the device hub answers asynchronously too
    return ANSWER;
  });
  await settle();
  const ask = () => a.request(TOPIC, OFFER, 10_000);
  for (let i = 0; i < 200; i++) await ask(); // warm-up

  const samples: number[] = [];
  for (let i = 0; i < s.sequentialRequests; i++) {
    const t0 = performance.now();
    await ask();
    samples.push(performance.now() - t0);
  }

  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: s.concurrency }, async () => {
    while (next++ < s.concurrentRequests) await ask();
  }));
  const requestsPerS = perSecond(s.concurrentRequests, performance.now() - t0);
  off();

  let received = 0;
  let allIn = () => {};
  const done = new Promise<void>((r) => allIn = r);
  const unsub = b.subscribe(MESSAGES, () => {
    if (++received === s.messages) allIn();
  });
  await settle();
  const m0 = performance.now();
  for (let i = 0; i < s.messages; i++) {
    a.publish(MESSAGES, CANDIDATE);
    if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0)); // let the socket drain
  }
  await done;
  const messagesPerS = perSecond(s.messages, performance.now() - m0);
  unsub();
  const { p50Ms, p99Ms } = latencySummary(samples);
  return { requestP50Ms: p50Ms, requestP99Ms: p99Ms, requestsPerS, messagesPerS };
}

async function natsServerVersion(): Promise<string> {
  const out = await new Deno.Command("nats-server", { args: ["--version"] }).output();
  return /v?(\d+\.\d+\.\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? "unknown";
}

/** Runs the bus benchmark on both buses; starts and stops its own nats-server. */
export async function benchBus(
  s: BusBenchSettings,
  log: (m: string) => void = console.log,
): Promise<BusBenchResult> {
  log("bus: in-process");
  const local = new InProcessBus();
  const inProcess = await measure(local, local, () => Promise.resolve(), s);
  log("bus: NATS");
  await using nats = await startNats();
  const a = await NatsBus.connect({ servers: nats.url, nodeId: "bench-a" });
  const b = await NatsBus.connect({ servers: nats.url, nodeId: "bench-b" });
  try {
    const figures = await measure(a, b, async () => {
      await a.flush();
      await b.flush();
    }, s);
    return {
      settings: { ...s },
      payload: {
        offerBytes: JSON.stringify(OFFER).length,
        answerBytes: JSON.stringify(ANSWER).length,
        messageBytes: JSON.stringify(CANDIDATE).length,
      },
      inProcess,
      nats: { ...figures, server: await natsServerVersion() },
    };
  } finally {
    await a.close();
    await b.close();
  }
}

if (import.meta.main) {
  let settings: BusBenchSettings;
  try {
    const env = (k: string) => Deno.env.get(k);
    settings = {
      sequentialRequests: countSetting(
        "BENCH_BUS_REQUESTS",
        env("BENCH_BUS_REQUESTS"),
        2000,
        1,
        1e6,
      ),
      concurrentRequests: countSetting(
        "BENCH_BUS_CONCURRENT",
        env("BENCH_BUS_CONCURRENT"),
        5000,
        1,
        1e6,
      ),
      concurrency: countSetting("BENCH_BUS_CONCURRENCY", env("BENCH_BUS_CONCURRENCY"), 32, 1, 1024),
      messages: countSetting("BENCH_BUS_MESSAGES", env("BENCH_BUS_MESSAGES"), 50_000, 1, 1e7),
    };
  } catch (err) {
    if (!(err instanceof SettingError)) throw err;
    console.error(`bench/bus: ${err.message}`);
    Deno.exit(2);
  }
  const result = await benchBus(settings);
  console.log(busMarkdown(result));
  console.log(JSON.stringify(result));
}
