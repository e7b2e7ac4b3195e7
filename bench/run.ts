/**
 * `deno task bench` — vigil's end-to-end figures on loopback, each beside a
 * baseline measured in the same run (this machine is shared and noisy: compare
 * ratios, not absolute numbers across runs):
 *
 * 1. time to first frame: the built viewer vs Chromium→Chromium (bench/ttff.ts), and the
 *    publisher as DTLS client (before) vs server (after) (bench/dtls_role.ts);
 * 2. glass-to-glass latency at 720p30, 2 Mbit/s: capture-time SEI → displayed frame,
 *    with the low-latency picture flush off (before) and on (after) (bench/glass_to_glass.ts);
 * 3. publisher cost for 1–4 Chromium and 1–16 werift viewers: CPU per viewer, RSS,
 *    frames and losses (bench/publisher_cost.ts), and the publisher's memory settings
 *    (V8 young-generation cap, glibc mmap threshold) off (before) and on (after);
 *    per send path (werift's RTP sender before, direct SRTP after; bench/send_path.ts):
 *    CPU slope over 1, 2, 4, 8 Chromium viewers, first-viewer surcharge, idle CPU,
 *    RSS idle / 4 / 16 viewers, loss at 16, and answer → first frame;
 * 4. signaling: token verifications/s vs jose ES256, WHEP setups/s (bench/signaling.ts),
 *    and memory per idle connected device with 1,000 devices (bench/idle_devices/mod.ts);
 * 5. vigil's publisher beside Janus 1.1 fed the same clip, alternating A/B: CPU per added
 *    Chromium viewer (1, 2, 4, 8), first-viewer surcharge, idle CPU, RSS, answer → first
 *    frame (bench/janus/ab.ts).
 * 6. remote viewing: time to first frame and publisher CPU per viewer through TURN beside
 *    direct, in the simulated internet of tests/nat/ (bench/turn.ts; needs root + coturn);
 *
 * Writes bench/results.json, bench/RESULTS.md and a chart, bench/results.svg
 * (`--render`: only redraws the last two from bench/results.json). Environment: BENCH_TTFF_RUNS (20),
 * BENCH_WINDOW_S (10), BENCH_DEVICES (1000), BENCH_SEND_PATH_ROUNDS (1), BENCH_JANUS_ROUNDS (2),
 * BENCH_SKIP (comma list of sections: ttff, dtls, g2g, cost, sendpath, memory, signaling, devices,
 * janus, cluster, turn).
 *
 * Needs `-A`: it starts a real server in-process, spawns publishers (with their
 * launcher's exact flags), werift probes, server processes and headless Chromium,
 * and reads /proc of its children.
 * @module
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { buildWeb } from "../subscriber-web/build.ts";
import { userAdd } from "../signaling/admin/commands.ts";
import {
  PUBLISHER_MALLOC_TUNABLES,
  PUBLISHER_V8_FLAGS,
} from "../publisher/config/runtime_flags.ts";
import { DEFAULT_LOW_LATENCY_FLUSH_MS } from "../publisher/sources/config.ts";
import { launchChromium } from "../tests/helpers/browser.ts";
import { startTestServer } from "../tests/helpers/server.ts";
import { chartSvg } from "./chart.ts";
import { benchDtlsRole, benchSendPathFirstFrame } from "./dtls_role.ts";
import { benchSendPaths } from "./send_path.ts";
import { benchGlassToGlass, G2G_SOURCE } from "./glass_to_glass.ts";
import { benchIdleDevices } from "./idle_devices/mod.ts";
import { benchJanusAb } from "./janus/ab.ts";
import { type BenchPublisher, makeClip, startBenchPublisher } from "./lib/publisher.ts";
import { measureSourceDelays } from "./lib/source_delay.ts";
import { progressLog, round, sleep } from "./lib/stats.ts";
import { countSetting, SettingError } from "./lib/args.ts";
import { chromiumCost, type CostRow, idleCost, rssAfter, weriftCost } from "./publisher_cost.ts";
import { type BenchResults, markdown } from "./report.ts";
import { benchTokens, benchWhepSetups } from "./signaling.ts";
import { benchCluster } from "./cluster.ts";
import { benchTurn, turnBenchProblem } from "./turn.ts";
import { baselineTtff, vigilTtff } from "./ttff.ts";

const SECTIONS = [
  "ttff",
  "dtls",
  "g2g",
  "cost",
  "sendpath",
  "memory",
  "signaling",
  "devices",
  "janus",
  "cluster",
  "turn",
];
let TTFF_RUNS: number, WINDOW_S: number, DEVICES: number, JANUS_ROUNDS: number;
let SEND_PATH_ROUNDS: number;
let SKIP: Set<string>;
try {
  TTFF_RUNS = countSetting("BENCH_TTFF_RUNS", Deno.env.get("BENCH_TTFF_RUNS"), 20, 1, 1000);
  WINDOW_S = countSetting("BENCH_WINDOW_S", Deno.env.get("BENCH_WINDOW_S"), 10, 1, 600);
  DEVICES = countSetting("BENCH_DEVICES", Deno.env.get("BENCH_DEVICES"), 1000, 1, 5000);
  SEND_PATH_ROUNDS = countSetting(
    "BENCH_SEND_PATH_ROUNDS",
    Deno.env.get("BENCH_SEND_PATH_ROUNDS"),
    1,
    1,
    10,
  );
  JANUS_ROUNDS = countSetting("BENCH_JANUS_ROUNDS", Deno.env.get("BENCH_JANUS_ROUNDS"), 2, 1, 20);
  SKIP = new Set((Deno.env.get("BENCH_SKIP") ?? "").split(",").filter(Boolean));
  const unknown = [...SKIP].filter((s) => !SECTIONS.includes(s));
  if (unknown.length) {
    throw new SettingError(
      `BENCH_SKIP: unknown section(s) ${unknown.join(", ")}; known: ${SECTIONS.join(", ")}`,
    );
  }
} catch (error) {
  console.error(`bench: ${(error as Error).message}`);
  Deno.exit(2);
}
const CHROMIUM_LEVELS = [1, 2, 4];
const WERIFT_LEVELS = [1, 2, 4, 8, 16];
const MEMORY_AB_VIEWERS = 16;
/** The publisher-cost stream: 720p30 at 2 Mbit/s (the shipped sample is 1.5 Mbit/s). */
const CLIP = { width: 1280, height: 720, fps: 30, kbps: 2000, seconds: 10, gop: 30 };
const CAMERAS = {
  cost: "bench-cam",
  g2gBefore: "g2g-before",
  g2gAfter: "g2g-after",
  sendPathA: "sendpath-a",
  sendPathB: "sendpath-b",
  memBefore: "mem-before",
  memV8: "mem-v8",
  memAfter: "mem-after",
  janus: "janus-ab",
};
const USER = "bench";
const PASSWORD = `bench-${crypto.randomUUID()}`;

const log = progressLog();

async function main(): Promise<BenchResults> {
  const cpuModel = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";
  const results: BenchResults = {
    date: new Date().toISOString(),
    host: { cpus: navigator.hardwareConcurrency, cpuModel, deno: Deno.version.deno },
    config: {
      ttffRuns: TTFF_RUNS,
      windowS: WINDOW_S,
      clip: CLIP,
      devices: DEVICES,
      janusRounds: JANUS_ROUNDS,
    },
  };
  const work = await Deno.makeTempDir({ prefix: "vigil-bench-" });
  const webDir = join(work, "web");
  log("building the viewer…");
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir, maxSessionsPerViewer: 40, maxSessionsPerCamera: 40 });
  let browser: Browser | null = null;
  const running = new Set<BenchPublisher>();
  const publisher = async (
    camera: string,
    source: Record<string, unknown>,
    v8Flags?: string,
    mallocTunables?: string,
  ) => {
    const p = await startBenchPublisher({
      workDir: work,
      dataDir: s.dataDir,
      base: s.base,
      camera,
      source,
      extra: ["--max-viewers", "20"],
      v8Flags,
      mallocTunables,
    });
    running.add(p);
    return p;
  };
  const stop = async (p: BenchPublisher) => {
    running.delete(p);
    await p.stop();
  };
  try {
    await userAdd(s.dataDir, { name: USER, password: PASSWORD, cameras: Object.values(CAMERAS) });
    const login = (camera: string) => ({ base: s.base, user: USER, password: PASSWORD, camera });
    const caFile = join(work, "ca.pem");
    await Deno.writeTextFile(caFile, s.ctx.pki.caPem);

    // ---- signaling first, on a quiet machine ----
    if (!SKIP.has("signaling")) {
      log("signaling: token verifications (2 s each)…");
      const tokens = await benchTokens(s, CAMERAS.cost);
      log(
        `  verifyAccessToken ${round(tokens.vigilEdDSAPerS)}/s, jose ES256 ${
          round(tokens.joseES256PerS)
        }/s`,
      );
      log("signaling: WHEP session setups against a scripted publisher…");
      const whepSetups = await benchWhepSetups(s);
      for (const r of whepSetups) {
        log(`  c=${r.concurrency}: ${r.setupsPerS} setups/s (POST p50 ${r.postMedianMs} ms)`);
      }
      results.signaling = { tokens, whepSetups };
    }
    if (!SKIP.has("cluster")) {
      log("cluster: bus in-process vs NATS, WHEP setups on one node vs two behind HAProxy…");
      results.cluster = await benchCluster({}, (m) => log(`  ${m}`));
      for (const w of results.cluster.whep) {
        log(`  ${w.nodes} node(s): ${w.setupsPerS} setups/s (POST p50 ${w.postP50Ms} ms)`);
      }
    }
    if (!SKIP.has("turn")) {
      const why = turnBenchProblem();
      if (why) log(`turn: skipped (${why})`);
      else {
        log("turn: time to first frame and publisher CPU per viewer, direct vs through TURN…");
        results.turn = await benchTurn({
          runs: Math.min(TTFF_RUNS, 10),
          windowS: WINDOW_S,
          viewers: 2,
          log: (m) => log(`  ${m}`),
        });
      }
    }
    if (!SKIP.has("devices")) {
      log(`signaling: ${DEVICES} idle devices connected to a server process…`);
      results.idleDevices = await benchIdleDevices({ devices: DEVICES, log: (m) => log(`  ${m}`) });
      const d = results.idleDevices;
      log(
        `  ${round(d.perDeviceKiB.rssSettled)} KiB RSS per device (${
          round(d.perDeviceKiB.heapUsedAfterGc ?? NaN)
        } KiB heap)`,
      );
    }

    browser = await launchChromium([
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
    ]);

    if (!SKIP.has("dtls")) {
      log(`DTLS role: publisher as client (before) vs server (after), ${TTFF_RUNS} calls each…`);
      results.dtlsRole = await benchDtlsRole(TTFF_RUNS, browser);
      for (const r of results.dtlsRole) {
        log(
          `  ${r.role}: connected ${r.connectedMs.median} ms, first frame ${r.firstFrameMs.median} ms after the answer`,
        );
        for (const f of r.failures ?? []) log(`    redone: ${f}`);
      }
      log(`send path: werift's RTP sender (before) vs direct (after), ${TTFF_RUNS} calls each…`);
      results.sendPathFirstFrame = await benchSendPathFirstFrame(TTFF_RUNS, browser);
      for (const r of results.sendPathFirstFrame) {
        log(`  ${r.sendPath}: first frame ${r.firstFrameMs.median} ms after the answer`);
        for (const f of r.failures ?? []) log(`    redone: ${f}`);
      }
    }

    // ---- the cost stream: a 2 Mbit/s clip through the file source ----
    const clipPath = join(work, "bench-720p30-2mbps.h264");
    const needCost = !SKIP.has("ttff") || !SKIP.has("cost");
    if (needCost || !SKIP.has("memory") || !SKIP.has("janus") || !SKIP.has("sendpath")) {
      log(
        `encoding the bench clip (${CLIP.width}x${CLIP.height}, ${CLIP.fps} fps, ${CLIP.kbps} kbit/s)…`,
      );
      await makeClip(clipPath, CLIP);
    }
    const clipSource = { kind: "file", path: clipPath };
    if (needCost) {
      const pub = await publisher(CAMERAS.cost, clipSource);
      log(`publisher ${CAMERAS.cost} online (pid ${pub.pid})`);
      if (!SKIP.has("ttff")) {
        log(`TTFF: built viewer, ${TTFF_RUNS} fresh WHEP sessions (+1 warm-up)…`);
        const vigil = await vigilTtff(browser, login(CAMERAS.cost), TTFF_RUNS, log);
        log(`TTFF: Chromium→Chromium baseline, ${TTFF_RUNS} calls (+1 warm-up)…`);
        const baseline = await baselineTtff(browser, TTFF_RUNS, log);
        results.ttff = { runs: TTFF_RUNS, vigil, baseline };
        log(
          `  vigil median ${vigil.medianMs} / p95 ${vigil.p95Ms} ms; baseline ${baseline.medianMs} / ${baseline.p95Ms} ms`,
        );
      }
      if (!SKIP.has("cost")) {
        const rows: CostRow[] = [];
        log(`publisher cost: idle, ${WINDOW_S} s window…`);
        await sleep(1000);
        const idle = await idleCost(pub.pid, WINDOW_S);
        rows.push(idle);
        const show = (r: CostRow) =>
          log(
            `  ${r.viewers} ${r.client}: ${round(r.cpuPerS, 3)} CPU-s/s (${
              round(r.cpuPerViewer, 4)
            }/viewer), ` +
              `RSS ${round(r.rssMiB)} MiB, frames/s ${
                r.perViewer.map((p) => p.framesPerS).join(",")
              }, ` +
              `lost ${r.perViewer.map((p) => p.packetsLost).join(",")}`,
          );
        show(idle);
        for (const n of CHROMIUM_LEVELS) {
          log(`publisher cost: ${n} Chromium viewer(s)…`);
          const row = await chromiumCost(browser, login(CAMERAS.cost), pub.pid, n, WINDOW_S, idle);
          await rssAfter(pub.pid, row);
          rows.push(row);
          show(row);
        }
        for (const n of WERIFT_LEVELS) {
          log(`publisher cost: ${n} werift viewer(s) in one probe process…`);
          const row = await weriftCost(
            { ...login(CAMERAS.cost), caFile },
            pub.pid,
            n,
            WINDOW_S,
            idle,
            log,
          );
          await rssAfter(pub.pid, row);
          rows.push(row);
          show(row);
        }
        results.publisherCost = rows;
      }
      await stop(pub);
    }

    // ---- send path: werift's RTP sender (before) vs direct SRTP (after), per-viewer cost ----
    if (!SKIP.has("sendpath")) {
      const cameras = [CAMERAS.sendPathA, CAMERAS.sendPathB];
      log(`send path: ${SEND_PATH_ROUNDS} round(s) of Chromium 1, 2, 4, 8 and werift 16 viewers…`);
      results.sendPath = await benchSendPaths({
        browser,
        workDir: join(work, "send-path"),
        dataDir: s.dataDir,
        base: s.base,
        cameras,
        user: USER,
        password: PASSWORD,
        caFile,
        source: clipSource,
        windowS: WINDOW_S,
        rounds: SEND_PATH_ROUNDS,
        log: (m) => log(`  ${m}`),
      });
    }

    // ---- vigil beside Janus: a fresh publisher (as Janus is fresh; the cost levels above
    // leave their memory behind), the same clip, alternating A/B ----
    if (!SKIP.has("janus")) {
      log("vigil beside Janus (same clip, same Chromium viewers), alternating A/B…");
      const pub = await publisher(CAMERAS.janus, clipSource);
      try {
        await sleep(2000); // past the start-up
        results.janus = await benchJanusAb({
          browser,
          vigilPid: pub.pid,
          login: login(CAMERAS.janus),
          client: s.client,
          clipPath,
          fps: CLIP.fps,
          windowS: WINDOW_S,
          ttffRuns: TTFF_RUNS,
          rounds: JANUS_ROUNDS,
          log: (m) => log(m),
        });
      } finally {
        await stop(pub);
      }
      for (const f of results.janus.figures) {
        log(
          `  ${f.metric}: vigil ${round(f.vigil, 4)}, janus ${round(f.janus, 4)} ${f.unit}` +
            ` (${f.ratio === null ? "—" : `${round(f.ratio, 2)}×`}; ${f.target}: ${
              f.met ? "met" : "not met"
            })`,
        );
      }
    }

    // ---- glass to glass: low-latency picture flush off (before) and on (after) ----
    if (!SKIP.has("g2g")) {
      const variants = [
        { name: "before", camera: CAMERAS.g2gBefore, flushMs: 0 },
        { name: "after", camera: CAMERAS.g2gAfter, flushMs: DEFAULT_LOW_LATENCY_FLUSH_MS },
      ];
      results.glassToGlass = [];
      for (const v of variants) {
        log(
          `glass-to-glass (${v.name}): synthetic 720p30 2 Mbit/s, lowLatencyFlushMs ${v.flushMs}…`,
        );
        const pub = await publisher(v.camera, { ...G2G_SOURCE, lowLatencyFlushMs: v.flushMs });
        try {
          const r = await benchGlassToGlass({
            ...login(v.camera),
            browser,
            log: (m) => log(`  ${m}`),
          });
          results.glassToGlass.push({ variant: v.name, lowLatencyFlushMs: v.flushMs, ...r });
          log(
            `  median ${r.glassToGlassMs.medianMs} / p95 ${r.glassToGlassMs.p95Ms} ms over ${r.frames} frames`,
          );
        } finally {
          await stop(pub);
        }
      }
      log("x264 encode time per frame (not in the stamp), separate ffmpeg run…");
      results.encode = (await measureSourceDelays(G2G_SOURCE)).encodeMs;
    }

    // ---- memory settings: V8's and glibc's defaults (before) vs the publisher's (after) ----
    if (!SKIP.has("memory")) {
      results.memory = [];
      const variants = [
        {
          name: "before",
          camera: CAMERAS.memBefore,
          v8Flags: "",
          malloc: "",
          label: "V8 and glibc defaults",
        },
        {
          name: "v8 only",
          camera: CAMERAS.memV8,
          v8Flags: PUBLISHER_V8_FLAGS,
          malloc: "",
          label: PUBLISHER_V8_FLAGS,
        },
        {
          name: "after",
          camera: CAMERAS.memAfter,
          v8Flags: PUBLISHER_V8_FLAGS,
          malloc: PUBLISHER_MALLOC_TUNABLES,
          label: `${PUBLISHER_V8_FLAGS} + GLIBC_TUNABLES=${PUBLISHER_MALLOC_TUNABLES}`,
        },
      ];
      for (const v of variants) {
        log(`memory settings (${v.name}: ${v.label}), ${MEMORY_AB_VIEWERS} werift viewers…`);
        const pub = await publisher(v.camera, clipSource, v.v8Flags, v.malloc);
        try {
          await sleep(1000);
          const idle = await idleCost(pub.pid, Math.min(WINDOW_S, 5));
          const row = await weriftCost(
            { ...login(v.camera), caFile },
            pub.pid,
            MEMORY_AB_VIEWERS,
            WINDOW_S,
            idle,
            log,
          );
          await rssAfter(pub.pid, row);
          results.memory.push({ variant: v.name, settings: v.label, idle, loaded: row });
          log(
            `  ${round(row.cpuPerS, 3)} CPU-s/s, RSS idle ${round(idle.rssMiB)} / max ${
              round(row.rssMaxMiB)
            } / after ${row.rssAfterMiB} MiB`,
          );
        } finally {
          await stop(pub);
        }
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    for (const p of running) await p.stop().catch(() => {});
    await s.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return results;
}

if (import.meta.main) {
  try {
    // --render: only redraw RESULTS.md and the chart from the last results.json.
    const results: BenchResults = Deno.args.includes("--render")
      ? JSON.parse(await Deno.readTextFile("bench/results.json"))
      : await main();
    await Deno.writeTextFile("bench/results.json", JSON.stringify(results, null, 2) + "\n");
    await Deno.writeTextFile("bench/RESULTS.md", markdown(results));
    const svg = chartSvg(results);
    if (svg) await Deno.writeTextFile("bench/results.svg", svg);
    log(`wrote bench/results.json, bench/RESULTS.md${svg ? " and bench/results.svg" : ""}`);
    Deno.exit(0); // playwright keeps handles open
  } catch (error) {
    console.error(`bench: ${(error as Error).stack ?? error}`);
    Deno.exit(1);
  }
}
