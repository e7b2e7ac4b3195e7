/**
 * Glass-to-glass latency (issue #8, item 2): from the publisher's capture-time
 * stamp to the frame's display in the built viewer, on loopback, headless Chromium.
 *
 * How: the publisher runs the `synthetic` source with `timestampSei`, so every
 * access unit carries its capture time (publisher `Date.now()`) in an SEI
 * (publisher/media/timestamp_sei.ts). In the viewer page, an init script gives
 * every receiver an RTCRtpScriptTransform (a worker; the browser context bypasses
 * the viewer's CSP, which allows no blob: worker) that keeps the first bytes of
 * each received encoded frame with its RTP timestamp;
 * `requestVideoFrameCallback` gives each presented frame's RTP timestamp,
 * `receiveTime` (last packet in) and `expectedDisplayTime`. Matched by RTP
 * timestamp: display − capture, split at `receiveTime`. Page times are put on
 * the wall clock with `performance.timeOrigin`; publisher and browser read the
 * same machine clock, and the result reports how far the two views differ.
 *
 * "Capture" is when the picture's first bytes came out of ffmpeg's pipe
 * (publisher/sources/process_source.ts), i.e. after x264 encoded it: however
 * long the publisher then holds the picture (the low-latency flush, or one
 * frame interval without it) is in the figure; the encode is not, and
 * {@linkcode measureSourceDelays} measures it separately.
 *
 * Library use (a running server, a publisher of {@linkcode G2G_SOURCE}, a viewer account):
 * ```ts
 * const r = await benchGlassToGlass({ base, camera, user, password, browser });
 * r.glassToGlassMs.medianMs;
 * ```
 * Standalone: `deno run -A bench/glass_to_glass.ts` starts its own server,
 * synthetic publisher and Chromium, prints progress and then one JSON document.
 * @module
 */
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { buildWeb } from "../subscriber-web/build.ts";
import { userAdd } from "../signaling/admin/commands.ts";
import { findBinary } from "../publisher/sources/find_binary.ts";
import { CHROMIUM, launchChromium } from "../tests/helpers/browser.ts";
import { startTestServer } from "../tests/helpers/server.ts";
import {
  type DisplayedFrameRecord,
  type EncodedFrameRecord,
  matchFrames,
  summarize,
  type Summary,
} from "./lib/glass_to_glass_samples.ts";
import { type BenchPublisher, startBenchPublisher } from "./lib/publisher.ts";
import { measureSourceDelays, type SourceDelays } from "./lib/source_delay.ts";
import { progressLog, round, sleep } from "./lib/stats.ts";

/** The publisher source this benchmark is defined for: 720p30, 2 Mbps, capture-time SEI. */
export const G2G_SOURCE = {
  kind: "synthetic",
  width: 1280,
  height: 720,
  fps: 30,
  bitrateKbps: 2000,
  gop: 30,
  timestampSei: true,
} as const;

/** Options of {@linkcode benchGlassToGlass}. */
export interface GlassToGlassOptions {
  /** Server origin, e.g. `https://localhost:8443` (its certificate is not checked). */
  base: string;
  /** Camera id publishing {@linkcode G2G_SOURCE} (or any source with `timestampSei`). */
  camera: string;
  /** A viewer account allowed to watch `camera`. */
  user: string;
  password: string;
  /** Browser to use; without one, Chromium is launched and closed. */
  browser?: Browser;
  /** Playing time left out before recording (default 2000 ms). */
  warmupMs?: number;
  /** Recording lasts until this many frames were presented… (default 300) */
  minFrames?: number;
  /** …and at least this long (default 10 000 ms). */
  minDurationMs?: number;
  /** Also measure receive → display without the encoded transform (default true). */
  control?: boolean;
  /** Progress lines (default none). */
  log?: (msg: string) => void;
}

/** Result of {@linkcode benchGlassToGlass}; all times in ms. */
export interface GlassToGlassResult {
  /** Presented frames with a known capture time. */
  frames: number;
  recordedS: number;
  /** Capture stamp → expected display. */
  glassToGlassMs: Summary;
  components: {
    /** Capture stamp → last packet received (publisher after the stamp, RTP, network). */
    captureToReceiveMs: Summary;
    /** Last packet → expected display (jitter buffer, decode, render). */
    receiveToDisplayMs: Summary;
    /** Decode alone (`processingDuration`), part of receiveToDisplay. */
    decodeMs: Summary;
    /** Last packet → the page's encoded transform: the instrument's own hop. */
    transformLagMs: Summary;
  };
  /** Receive → display in a plain viewer page, without the encoded transform. */
  control: { frames: number; receiveToDisplayMs: Summary } | null;
  unmatched: { displayedWithoutCapture: number; encodedWithoutSei: number };
  clock: {
    /** Page `Date.now()` − (`timeOrigin` + `now()`) at start and end of recording. */
    pageWallMinusMonotonicMs: [number, number];
    /** Page wall clock − this process's `Date.now()` (± half the round trip). */
    pageMinusBenchMs: number;
    roundTripMs: number;
  };
}

const HEAD_BYTES = 256; // SPS + PPS + the timestamp SEI fit; slices are cut off

/** Worker side of the encoded transform: hands each frame on, then reports it. */
const TRANSFORM_WORKER = `
onrtctransform = (ev) => {
  const { readable, writable } = ev.transformer;
  readable.pipeThrough(new TransformStream({
    transform(frame, out) {
      const atEpoch = performance.timeOrigin + performance.now();
      const head = new Uint8Array(frame.data.slice(0, ${HEAD_BYTES}));
      const rtp = frame.getMetadata().rtpTimestamp ?? frame.timestamp;
      out.enqueue(frame);
      postMessage({ rtp, atEpoch, headB64: btoa(String.fromCharCode(...head)) });
    },
  })).pipeTo(writable).catch(() => {});
};`;

const WORKER_SOURCE = JSON.stringify(TRANSFORM_WORKER);

/**
 * Gives every video receiver of the page an RTCRtpScriptTransform (in a worker,
 * so the page's main thread does not delay frames) that reports each frame's
 * RTP timestamp and first bytes into `__g2g.encoded`.
 */
const RECORD_ENCODED = `(() => {
  const Native = globalThis.RTCPeerConnection;
  const encoded = [];
  globalThis.__g2g = { encoded, displayed: [], recording: false };
  const url = URL.createObjectURL(new Blob([${WORKER_SOURCE}], { type: "text/javascript" }));
  globalThis.RTCPeerConnection = class extends Native {
    constructor(config) {
      // Chromium 156 leaves the receiver's transform out of the path unless the
      // connection was made with encoded insertable streams.
      super({ ...(config ?? {}), encodedInsertableStreams: true });
      this.addEventListener("track", (ev) => {
        const worker = new Worker(url);
        worker.onmessage = ({ data }) => {
          const transformAt = data.atEpoch - performance.timeOrigin; // worker → page time
          encoded.push({ rtp: data.rtp, transformAt, headB64: data.headB64 });
          if (encoded.length > 3000) encoded.splice(0, 1000);
        };
        ev.receiver.transform = new RTCRtpScriptTransform(worker, {});
      });
    }
  };
})();`;

interface G2gState {
  encoded: EncodedFrameRecord[];
  displayed: DisplayedFrameRecord[];
  recording: boolean;
}
type G2gWindow = { __g2g: G2gState; __vigil: { state: string } };
type FrameMeta = {
  expectedDisplayTime: number;
  receiveTime?: number;
  rtpTimestamp?: number;
  processingDuration?: number;
};

/** Logs in on the built viewer and opens `camera`; resolves once it plays. */
async function openViewer(page: Page, o: GlassToGlassOptions): Promise<void> {
  await page.goto(`${o.base}/`);
  await page.getByTestId("username").fill(o.user);
  await page.getByTestId("password").fill(o.password);
  await page.getByTestId("login-submit").click();
  await page.locator(`[data-testid="camera-${o.camera}"][data-online="true"]`)
    .waitFor({ timeout: 20_000 });
  await page.evaluate((cam) => location.hash = `#/camera/${cam}`, o.camera);
  await page.waitForFunction(
    () => (globalThis as unknown as G2gWindow).__vigil?.state === "playing",
    null,
    { timeout: 20_000 },
  );
}

/** Starts recording presented frames (requestVideoFrameCallback) into `__g2g.displayed`. */
function startDisplayRecording(page: Page): Promise<void> {
  return page.evaluate(() => {
    const g = (globalThis as unknown as G2gWindow).__g2g ??
      ((globalThis as unknown as G2gWindow).__g2g = {
        encoded: [],
        displayed: [],
        recording: false,
      });
    const video = document.querySelector<HTMLVideoElement>('[data-testid="video"]');
    if (!video) throw new Error("no video element");
    g.displayed = [];
    g.recording = true;
    const onFrame = (_now: number, m: FrameMeta) => {
      if (!g.recording) return;
      if (m.rtpTimestamp !== undefined) {
        g.displayed.push({
          rtp: m.rtpTimestamp,
          expectedDisplayTime: m.expectedDisplayTime,
          receiveTime: m.receiveTime ?? null,
          processingDuration: m.processingDuration ?? null,
        });
      }
      video.requestVideoFrameCallback(onFrame as VideoFrameRequestCallback);
    };
    video.requestVideoFrameCallback(onFrame as VideoFrameRequestCallback);
  });
}

/** Records until enough frames were presented; returns what the page kept. */
async function record(page: Page, minFrames: number, minMs: number, log: (m: string) => void) {
  const clockSkew = () =>
    page.evaluate(() => Date.now() - (performance.timeOrigin + performance.now()));
  const skewStart = await clockSkew();
  await startDisplayRecording(page);
  const t0 = performance.now();
  const deadline = t0 + minMs + 30_000;
  let shown = 0;
  for (let tick = 1;; tick++) {
    await sleep(500);
    shown = await page.evaluate(() => (globalThis as unknown as G2gWindow).__g2g.displayed.length);
    const elapsed = performance.now() - t0;
    if (shown >= minFrames && elapsed >= minMs) break;
    if (performance.now() > deadline) {
      log(`  only ${shown} frames presented in ${round(elapsed / 1000)} s`);
      break;
    }
    if (tick % 6 === 0) log(`  ${round(elapsed / 1000)} s: ${shown} frames presented`);
  }
  const recordedS = (performance.now() - t0) / 1000;
  const data = await page.evaluate(() => {
    const g = (globalThis as unknown as G2gWindow).__g2g;
    g.recording = false;
    const wanted = new Set(g.displayed.map((d) => d.rtp));
    return {
      encodedSeen: g.encoded.length,
      timeOrigin: performance.timeOrigin,
      displayed: g.displayed,
      encoded: g.encoded.filter((e) => wanted.has(e.rtp)),
    };
  });
  return { ...data, recordedS, skew: [skewStart, await clockSkew()] as [number, number] };
}

/** Offset of the page's wall clock from this process's, from the fastest of a few round trips. */
async function pageClockOffset(page: Page): Promise<{ offsetMs: number; roundTripMs: number }> {
  let best = { offsetMs: NaN, roundTripMs: Infinity };
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = Date.now();
    if (after - before < best.roundTripMs) {
      best = { offsetMs: pageNow - (before + after) / 2, roundTripMs: after - before };
    }
  }
  return best;
}

/**
 * Measures glass-to-glass latency of `camera` in the built viewer served at
 * `base`. The camera must publish with `timestampSei` (see {@linkcode G2G_SOURCE}).
 */
export async function benchGlassToGlass(o: GlassToGlassOptions): Promise<GlassToGlassResult> {
  const log = o.log ?? (() => {});
  const browser = o.browser ?? await launchChromium();
  const warmupMs = o.warmupMs ?? 2000;
  try {
    const ctx = await browser.newContext({
      ignoreHTTPSErrors: true,
      bypassCSP: true, // the viewer's CSP allows no blob: worker
      viewport: { width: 1280, height: 800 },
    });
    await ctx.addInitScript(RECORD_ENCODED);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => log(`page error: ${e.message}`));
    await openViewer(page, o);
    log(`playing; warm-up ${warmupMs} ms, then ≥ ${o.minFrames ?? 300} frames`);
    await sleep(warmupMs);
    const rec = await record(page, o.minFrames ?? 300, o.minDurationMs ?? 10_000, log);
    const clock = await pageClockOffset(page);
    await ctx.close();
    const m = matchFrames(rec.encoded, rec.displayed, rec.timeOrigin);
    if (m.samples.length === 0) {
      throw new Error(
        `no presented frame had a capture time (${rec.displayed.length} presented, ` +
          `${rec.encodedSeen} encoded frames seen, ${m.encodedWithoutSei} of them without SEI): ` +
          "is timestampSei on?",
      );
    }
    let control: GlassToGlassResult["control"] = null;
    if (o.control ?? true) {
      log("control: receive → display without the encoded transform");
      const plain = await browser.newContext({
        ignoreHTTPSErrors: true,
        viewport: { width: 1280, height: 800 },
      });
      const p = await plain.newPage();
      await openViewer(p, o);
      await sleep(warmupMs);
      const c = await record(p, 150, 5000, log);
      await plain.close();
      control = {
        frames: c.displayed.length,
        receiveToDisplayMs: summarize(
          c.displayed.map((d) =>
            d.receiveTime === null ? null : d.expectedDisplayTime - d.receiveTime
          ),
        ),
      };
    }
    const pick = (f: (s: (typeof m.samples)[number]) => number | null) =>
      summarize(m.samples.map(f));
    return {
      frames: m.samples.length,
      recordedS: round(rec.recordedS),
      glassToGlassMs: pick((s) => s.glassToGlassMs),
      components: {
        captureToReceiveMs: pick((s) => s.captureToReceiveMs),
        receiveToDisplayMs: pick((s) => s.receiveToDisplayMs),
        decodeMs: pick((s) => s.decodeMs),
        transformLagMs: pick((s) => s.transformLagMs),
      },
      control,
      unmatched: {
        displayedWithoutCapture: m.displayedWithoutCapture,
        encodedWithoutSei: m.encodedWithoutSei,
      },
      clock: {
        pageWallMinusMonotonicMs: [round(rec.skew[0], 2), round(rec.skew[1], 2)],
        pageMinusBenchMs: round(clock.offsetMs, 2),
        roundTripMs: clock.roundTripMs,
      },
    };
  } finally {
    if (!o.browser) await browser.close().catch(() => {});
  }
}

/** Standalone run: own server, publisher, Chromium; prints one JSON document. */
async function main(): Promise<void> {
  const log = progressLog();
  if (!findBinary("ffmpeg")) {
    throw new Error(
      "ffmpeg not found on PATH: the synthetic source needs it (apt-get install ffmpeg)",
    );
  }
  if (!findBinary(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
  const camera = "g2g-cam";
  const user = "g2g";
  const password = `g2g-${crypto.randomUUID()}`;
  const work = await Deno.makeTempDir({ prefix: "vigil-g2g-" });
  const webDir = join(work, "web");
  log("building the viewer…");
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir });
  let publisher: BenchPublisher | null = null;
  let browser: Browser | null = null;
  try {
    await userAdd(s.dataDir, { name: user, password, cameras: [camera] });
    log("starting the publisher (synthetic 1280x720, 30 fps, 2000 kbit/s, timestamp SEI)…");
    publisher = await startBenchPublisher({
      workDir: work,
      dataDir: s.dataDir,
      base: s.base,
      camera,
      source: G2G_SOURCE,
    });
    browser = await launchChromium();
    const g2g = await benchGlassToGlass({ base: s.base, camera, user, password, browser, log });
    log(
      `glass-to-glass median ${g2g.glassToGlassMs.medianMs} / p95 ${g2g.glassToGlassMs.p95Ms} ms ` +
        `over ${g2g.frames} frames`,
    );
    await browser.close();
    browser = null;
    await publisher.stop();
    publisher = null;
    log(
      "x264 encode time (before the stamp), and the hold the low-latency flush avoids (separate ffmpeg run)…",
    );
    const source: SourceDelays = await measureSourceDelays(G2G_SOURCE);
    log(
      `  encode median ${source.encodeMs.medianMs} ms; without the flush a picture would wait ` +
        `${source.holdMs.medianMs} ms for the next one`,
    );
    const approx = g2g.glassToGlassMs.medianMs + source.encodeMs.medianMs;
    console.log(JSON.stringify(
      {
        date: new Date().toISOString(),
        host: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
        source: G2G_SOURCE,
        glassToGlass: g2g,
        sourceDelays: source,
        encoderInputToDisplayMedianApproxMs: round(approx),
        target: { medianMs: 100, met: g2g.glassToGlassMs.medianMs <= 100 },
      },
      null,
      2,
    ));
  } finally {
    await browser?.close().catch(() => {});
    await publisher?.stop();
    await s.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  try {
    await main();
    Deno.exit(0); // playwright keeps handles open
  } catch (error) {
    console.error(`glass_to_glass: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
