/**
 * `deno task bench` — end-to-end figures on loopback, each with a same-run baseline:
 *
 * 1. time to first frame (TTFF) of the built viewer (`window.__vigil.ttffMs`, fresh WHEP
 *    session per run) vs a Chromium-to-Chromium (libwebrtc) baseline in the same browser;
 * 2. publisher cost (CPU-s/s, VmRSS, frames per viewer) at 720p30 with the file source for
 *    0 (idle baseline), 1, 2, 4 Chromium viewers and 4, 8, 16 werift viewers;
 * 3. signaling: access-token verifications/s vs plain jose ES256, and WHEP session setups/s
 *    against a scripted publisher that answers at once.
 *
 * Writes bench/results.json and bench/RESULTS.md.
 *
 * Needs `-A`: it starts a real server in-process, spawns the publisher (through the
 * `publish` launcher, which narrows the publisher's own permissions), a werift probe
 * process and headless Chromium, and reads /proc of its children.
 * @module
 */
import { startLocalPublisher } from "../tests/helpers/publisher_process.ts";
import { launchChromium } from "../tests/helpers/browser.ts";
import * as jose from "jose";
import { dirname, join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildWeb } from "../scripts/build_web.ts";
import { addDevice, userAdd } from "../signaling/admin/commands.ts";
import { enroll } from "../publisher/device/enroll_client.ts";
import { signAccessToken, verifyAccessToken } from "../signaling/auth/tokens.ts";
import { enrollDevice, loginViewer, startTestServer, type TestServer } from "../tests/helpers/server.ts";
import { connectPublisher, RECVONLY_OFFER } from "../tests/helpers/scripted_publisher.ts";

const TTFF_RUNS = Number(Deno.env.get("BENCH_TTFF_RUNS") ?? 20);
const WINDOW_S = Number(Deno.env.get("BENCH_WINDOW_S") ?? 10);
const CHROMIUM_LEVELS = [1, 2, 4];
const WERIFT_LEVELS = [4, 8, 16];
const CAMERA = "bench-cam";
const USER = "bench";
const PASSWORD = "bench-password-1";
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86/ARM

const t0 = performance.now();
function log(msg: string) {
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------
// /proc helpers

function procCpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime = field 14, stime = field 15
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
function procStatus(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN; // MiB
}
function ppidOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}
/** The `publisher/main.ts` process started by our launcher child. */
function findPublisherPid(launcherPid: number): number | null {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.includes("publisher/main.ts") && ppidOf(Number(e.name)) === launcherPid) {
        return Number(e.name);
      }
    } catch {
      // gone
    }
  }
  return null;
}

/** CPU-s/s and RSS of `pid` over `seconds`. */
async function sampleWindow(pid: number, seconds: number) {
  const c0 = procCpuSeconds(pid);
  const w0 = performance.now();
  let rssMax = 0;
  const steps = seconds * 4;
  for (let i = 0; i < steps; i++) {
    await sleep(250);
    rssMax = Math.max(rssMax, procStatus(pid, "VmRSS"));
  }
  const c1 = procCpuSeconds(pid);
  const wall = (performance.now() - w0) / 1000;
  return { cpuPerS: (c1 - c0) / wall, wallS: wall, rssMiB: procStatus(pid, "VmRSS"), rssMaxMiB: rssMax };
}

// ---------------------------------------------------------------------------------------
// processes

const denoBin = Deno.execPath();
// The publish launcher runs `deno` from PATH: make it this same deno.
const childEnv = { PATH: `${dirname(denoBin)}:${Deno.env.get("PATH") ?? ""}` };


async function startPublisher(stateDir: string, logFile: string) {
  const child = await startLocalPublisher(stateDir, {
    logFile,
    extra: ["--max-viewers", "20"],
    command: denoBin,
    env: childEnv,
    timeoutMs: 60_000,
  });
  let pid: number | null = null;
  for (let i = 0; i < 40 && pid === null; i++) {
    pid = findPublisherPid(child.pid);
    if (pid === null) await sleep(100);
  }
  if (pid === null) throw new Error("publisher/main.ts process not found under the launcher");
  return { child, pid };
}

async function stopChild(child: Deno.ChildProcess) {
  try {
    child.kill("SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 5000);
  await child.status;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------
// browser

function launchBrowser(): Promise<Browser> {
  // The baseline sender needs a fake 720p camera without a permission prompt.
  return launchChromium(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
}

/** Keeps every RTCPeerConnection a page makes, for getStats. */
const CAPTURE_PCS = `(() => {
  const Orig = globalThis.RTCPeerConnection;
  globalThis.__benchPcs = [];
  globalThis.RTCPeerConnection = class extends Orig {
    constructor(...a) { super(...a); globalThis.__benchPcs.push(this); }
  };
})();`;

type VigilWindow = { __vigil: { state: string; ttffMs: number | null; framesDecoded: number } };

async function viewerPage(browser: Browser, base: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(CAPTURE_PCS);
  const page = await ctx.newPage();
  await page.goto(`${base}/`);
  await page.getByTestId("username").fill(USER);
  await page.getByTestId("password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.locator(`[data-testid="camera-${CAMERA}"][data-online="true"]`).waitFor({ timeout: 20_000 });
  return { ctx, page };
}

async function openCamera(page: Page): Promise<number> {
  await page.evaluate((cam) => location.hash = `#/camera/${cam}`, CAMERA);
  await page.waitForFunction(() => {
    const v = (globalThis as unknown as VigilWindow).__vigil;
    return v.state === "playing" && v.ttffMs !== null;
  }, null, { timeout: 20_000 });
  return await page.evaluate(() => (globalThis as unknown as VigilWindow).__vigil.ttffMs!);
}

async function leaveCamera(page: Page): Promise<void> {
  await page.evaluate(() => location.hash = "#/");
  await page.waitForFunction(
    () => (globalThis as unknown as VigilWindow).__vigil.state === "cameras",
    null,
    { timeout: 10_000 },
  );
}

/** Inbound video counters of every peer connection the page made (summed). */
function inboundStats(page: Page) {
  return page.evaluate(async () => {
    const pcs = (globalThis as unknown as { __benchPcs: RTCPeerConnection[] }).__benchPcs;
    let framesDecoded = 0, framesDropped = 0, framesReceived = 0, packetsLost = 0;
    for (const pc of pcs) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") {
          framesDecoded += r.framesDecoded ?? 0;
          framesDropped += r.framesDropped ?? 0;
          framesReceived += r.framesReceived ?? 0;
          packetsLost += r.packetsLost ?? 0;
        }
      });
    }
    return { framesDecoded, framesDropped, framesReceived, packetsLost };
  });
}

// Baseline: Chromium → Chromium, two pages, SDP exchanged through page.evaluate (non-trickle).
async function baselineRun(recv: Page, send: Page) {
  const offer = await recv.evaluate(async () => {
    const g = globalThis as unknown as Record<string, unknown>;
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    g.__pc = pc;
    const tr = pc.addTransceiver("video", { direction: "recvonly" });
    const caps = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
    const h264 = caps.filter((c) => /h264/i.test(c.mimeType) && /42e01f/.test(c.sdpFmtpLine ?? ""));
    if (h264.length) tr.setCodecPreferences([...h264, ...caps.filter((c) => !h264.includes(c))]);
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.replaceChildren(video);
    const t0 = performance.now();
    g.__first = new Promise<number>((resolve) => {
      pc.ontrack = (e) => {
        video.srcObject = new MediaStream([e.track]);
        video.play().catch(() => {});
        video.requestVideoFrameCallback((now, meta) =>
          resolve(((meta as { presentationTime?: number }).presentationTime ?? now) - t0)
        );
      };
    });
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== "complete") {
      await new Promise<void>((r) =>
        pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && r())
      );
    }
    return { sdp: pc.localDescription!.sdp, gatherMs: performance.now() - t0 };
  });
  const answer = await send.evaluate(async (sdp) => {
    const g = globalThis as unknown as Record<string, unknown>;
    const stream = g.__stream as MediaStream;
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    g.__pc = pc;
    await pc.setRemoteDescription({ type: "offer", sdp });
    pc.addTrack(stream.getVideoTracks()[0], stream);
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== "complete") {
      await new Promise<void>((r) =>
        pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && r())
      );
    }
    return pc.localDescription!.sdp;
  }, offer.sdp);
  const r = await recv.evaluate(async (sdp) => {
    const g = globalThis as unknown as Record<string, unknown>;
    const pc = g.__pc as RTCPeerConnection;
    await pc.setRemoteDescription({ type: "answer", sdp });
    const ttff = await Promise.race([
      g.__first as Promise<number>,
      new Promise<number>((r) => setTimeout(() => r(-1), 15_000)),
    ]);
    let codec = "";
    (await pc.getStats()).forEach((s) => {
      if (s.type === "codec") codec = s.mimeType;
    });
    return { ttff, codec };
  }, answer);
  await recv.evaluate(() => (globalThis as unknown as { __pc: RTCPeerConnection }).__pc.close());
  await send.evaluate(() => (globalThis as unknown as { __pc: RTCPeerConnection }).__pc.close());
  return { ttffMs: r.ttff, gatherMs: offer.gatherMs, codec: r.codec };
}

// ---------------------------------------------------------------------------------------
// 3. signaling

async function benchTokens(s: TestServer) {
  const token = await signAccessToken(s.ctx.ring, {
    issuer: s.ctx.issuer,
    sub: "bench",
    cams: [CAMERA],
    sid: crypto.randomUUID(),
  });
  const es = await jose.generateKeyPair("ES256");
  const now = Math.floor(Date.now() / 1000);
  const esToken = await new jose.SignJWT({ cams: [CAMERA], sid: crypto.randomUUID() })
    .setProtectedHeader({ alg: "ES256", typ: "vigil-access+jwt", kid: "k1" })
    .setIssuer(s.ctx.issuer).setAudience("vigil-viewer").setSubject("bench")
    .setIssuedAt(now).setExpirationTime(now + 300).setJti(crypto.randomUUID())
    .sign(es.privateKey);
  async function rate(fn: () => Promise<unknown>, ms = 2000) {
    for (let i = 0; i < 200; i++) await fn(); // warm-up
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      for (let i = 0; i < 50; i++) await fn();
      n += 50;
    }
    return n / ((performance.now() - start) / 1000);
  }
  const vigil = await rate(() => verifyAccessToken(s.ctx.ring, token, s.ctx.issuer));
  const es256 = await rate(() =>
    jose.jwtVerify(esToken, es.publicKey, {
      algorithms: ["ES256"],
      issuer: s.ctx.issuer,
      audience: "vigil-viewer",
      typ: "vigil-access+jwt",
      requiredClaims: ["iat", "exp", "jti", "sub", "cams", "sid"],
    })
  );
  return { vigilEdDSAPerS: vigil, joseES256PerS: es256 };
}

async function benchWhepSetups(s: TestServer) {
  const dev = await enrollDevice(s, "scripted-cam");
  const pub = await connectPublisher(dev, "Scripted");
  const viewer = await loginViewer(s, "setup-bench", ["scripted-cam"]);
  await sleep(200);
  async function run(concurrency: number, ms: number) {
    let ok = 0;
    const other: Record<string, number> = {};
    const lat: number[] = [];
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < ms) {
        const a = performance.now();
        const res = await fetch(`${s.base}/whep/scripted-cam`, {
          method: "POST",
          client: s.client,
          headers: { "content-type": "application/sdp", authorization: `Bearer ${viewer.token}` },
          body: RECVONLY_OFFER,
        });
        await res.text();
        if (res.status === 201) {
          ok++;
          lat.push(performance.now() - a);
          const loc = res.headers.get("location");
          if (loc) {
            const d = await fetch(new URL(loc, s.base), {
              method: "DELETE",
              client: s.client,
              headers: { authorization: `Bearer ${viewer.token}` },
            });
            await d.body?.cancel();
          }
        } else other[res.status] = (other[res.status] ?? 0) + 1;
      }
    }));
    const secs = (performance.now() - start) / 1000;
    return {
      concurrency,
      seconds: round(secs, 2),
      setups: ok,
      setupsPerS: round(ok / secs),
      postMedianMs: round(median(lat), 2),
      postP95Ms: round(quantile(lat, 0.95), 2),
      otherStatuses: other,
    };
  }
  const seq = await run(1, 2500);
  const par = await run(4, 2500);
  await pub.close();
  dev.client.close();
  return [seq, par];
}

// ---------------------------------------------------------------------------------------

async function main() {
  const cpuModel = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    host: { cpus: navigator.hardwareConcurrency, cpuModel, deno: Deno.version.deno },
  };
  const work = await Deno.makeTempDir({ prefix: "vigil-bench-" });
  const webDir = join(work, "web");
  log("building the viewer…");
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir, maxSessionsPerViewer: 40, maxSessionsPerCamera: 40 });
  let publisher: { child: Deno.ChildProcess; pid: number } | null = null;
  let browser: Browser | null = null;
  const stateDir = join(work, "device");
  try {
    // ---- 3. signaling first (quiet machine) ----
    log("signaling: token verifications (2 s each)…");
    const tokens = await benchTokens(s);
    log(`  verifyAccessToken ${round(tokens.vigilEdDSAPerS)}/s, jose ES256 ${round(tokens.joseES256PerS)}/s`);
    log("signaling: WHEP session setups against a scripted publisher…");
    const setups = await benchWhepSetups(s);
    for (const r of setups) log(`  c=${r.concurrency}: ${r.setupsPerS} setups/s (POST p50 ${r.postMedianMs} ms)`);
    results.signaling = { tokens, whepSetups: setups };

    // ---- real publisher ----
    const added = await addDevice(s.dataDir, { id: CAMERA, label: "Bench camera", ttlMs: 60_000, serverUrl: s.base });
    await Deno.mkdir(stateDir);
    await enroll({ serverUrl: s.base, token: added.token, caFingerprint: added.caFingerprint, stateDir, force: false });
    await userAdd(s.dataDir, { name: USER, password: PASSWORD, cameras: [CAMERA] });
    log("starting the publisher (file source, sample-720p30.h264)…");
    publisher = await startPublisher(stateDir, join(work, "publisher.log"));
    log(`  publisher/main.ts pid ${publisher.pid}`);
    browser = await launchBrowser();

    // ---- 1. TTFF ----
    log(`TTFF: built viewer, ${TTFF_RUNS} fresh WHEP sessions (+1 warm-up)…`);
    const { ctx: vctx, page: vpage } = await viewerPage(browser, s.base);
    const vigilTtff: number[] = [];
    for (let i = 0; i <= TTFF_RUNS; i++) {
      const ms = await openCamera(vpage);
      if (i > 0) vigilTtff.push(ms);
      await leaveCamera(vpage);
      await sleep(150);
      if (i > 0 && i % 5 === 0) log(`  ${i}/${TTFF_RUNS}: last ${ms} ms`);
    }
    await vctx.close();
    log(`TTFF: Chromium→Chromium baseline, ${TTFF_RUNS} runs (+1 warm-up)…`);
    // vigil's origin forbids the camera (Permissions-Policy: camera=()), so the baseline pages
    // live on their own blank page on http://localhost (a secure context).
    const blank = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("<!doctype html><title>baseline</title><body></body>", {
        headers: { "content-type": "text/html" },
      }),
    );
    const blankUrl = `http://localhost:${blank.addr.port}/`;
    const bctx = await browser.newContext({ permissions: ["camera"] });
    const recv = await bctx.newPage();
    const send = await bctx.newPage();
    await recv.goto(blankUrl);
    await send.goto(blankUrl);
    await send.evaluate(async () => {
      (globalThis as unknown as { __stream: MediaStream }).__stream = await navigator.mediaDevices
        .getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } });
    });
    const baseTtff: number[] = [];
    const baseGather: number[] = [];
    let baseCodec = "";
    for (let i = 0; i <= TTFF_RUNS; i++) {
      const r = await baselineRun(recv, send);
      if (r.ttffMs < 0) throw new Error("baseline: no frame within 15 s");
      if (i > 0) {
        baseTtff.push(r.ttffMs);
        baseGather.push(r.gatherMs);
      }
      baseCodec = r.codec;
      await sleep(100);
      if (i > 0 && i % 5 === 0) log(`  ${i}/${TTFF_RUNS}: last ${round(r.ttffMs)} ms (${r.codec})`);
    }
    await bctx.close();
    await blank.shutdown();
    const ttff = {
      runs: TTFF_RUNS,
      vigil: {
        medianMs: round(median(vigilTtff)),
        p95Ms: round(quantile(vigilTtff, 0.95)),
        samplesMs: vigilTtff,
        method: "built viewer, __vigil.ttffMs (offer POST → first presented frame, trickle ICE)",
      },
      baseline: {
        medianMs: round(median(baseTtff)),
        p95Ms: round(quantile(baseTtff, 0.95)),
        gatherMedianMs: round(median(baseGather)),
        codec: baseCodec,
        samplesMs: baseTtff.map((x) => round(x)),
        method: "Chromium→Chromium fake camera 720p30, createOffer → first presented frame " +
          "(requestVideoFrameCallback), non-trickle, SDP via page.evaluate",
      },
      ratioMedian: round(median(vigilTtff) / median(baseTtff), 2),
      ratioP95: round(quantile(vigilTtff, 0.95) / quantile(baseTtff, 0.95), 2),
    };
    results.ttff = ttff;
    log(`  vigil median ${ttff.vigil.medianMs} / p95 ${ttff.vigil.p95Ms} ms; baseline median ${ttff.baseline.medianMs} / p95 ${ttff.baseline.p95Ms} ms`);

    // ---- 2. publisher cost ----
    const cost: Record<string, unknown>[] = [];
    const pid = publisher.pid;
    log(`publisher cost: idle (0 viewers), ${WINDOW_S} s window…`);
    await sleep(1000);
    const idle = await sampleWindow(pid, WINDOW_S);
    cost.push({ viewers: 0, client: "none", ...idle });
    log(`  idle: ${round(idle.cpuPerS, 3)} CPU-s/s, RSS ${round(idle.rssMiB)} MiB`);

    for (const n of CHROMIUM_LEVELS) {
      log(`publisher cost: ${n} Chromium viewer(s)…`);
      const pages = [];
      for (let i = 0; i < n; i++) pages.push(await viewerPage(browser, s.base));
      await Promise.all(pages.map(({ page }) => openCamera(page)));
      await sleep(2000); // past the GOP replay burst
      const before = await Promise.all(pages.map(({ page }) => inboundStats(page)));
      const w = await sampleWindow(pid, WINDOW_S);
      const after = await Promise.all(pages.map(({ page }) => inboundStats(page)));
      const perViewer = after.map((a, i) => ({
        framesDecodedPerS: round((a.framesDecoded - before[i].framesDecoded) / w.wallS),
        framesDropped: a.framesDropped - before[i].framesDropped,
        packetsLost: a.packetsLost - before[i].packetsLost,
      }));
      const row = {
        viewers: n,
        client: "chromium",
        ...w,
        cpuPerViewer: (w.cpuPerS - idle.cpuPerS) / n,
        perViewer,
      };
      cost.push(row);
      log(`  ${n}: ${round(w.cpuPerS, 3)} CPU-s/s (${round(row.cpuPerViewer, 4)}/viewer over idle), RSS ${round(w.rssMiB)} MiB, fps ${perViewer.map((p) => p.framesDecodedPerS).join(",")}`);
      for (const { page, ctx } of pages) {
        await leaveCamera(page).catch(() => {});
        await ctx.close();
      }
      await sleep(1000);
    }

    const caFile = join(work, "ca.pem");
    await Deno.writeTextFile(caFile, s.ctx.pki.caPem);
    for (const n of WERIFT_LEVELS) {
      log(`publisher cost: ${n} werift viewer(s) in one probe process…`);
      const probeSecs = WINDOW_S + 5;
      const probe = new Deno.Command(denoBin, {
        args: ["run", "-A", "bench/probe_many.ts", s.base, CAMERA, USER, String(n), String(probeSecs)],
        env: { ...childEnv, VIGIL_PASSWORD: PASSWORD, VIGIL_CA_FILE: caFile },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await sleep(3500); // start-up, login, ICE/DTLS, GOP replay
      const w = await sampleWindow(pid, WINDOW_S);
      const probeCpu = procCpuSeconds(probe.pid);
      const out = await probe.output();
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
      let perViewer: { status: number; framesPerS: number; firstFrameMs: number | null }[] = [];
      try {
        const parsed = JSON.parse(text) as {
          results: { status: number; frames: number; firstFrameMs: number | null; answerMs: number }[];
        };
        perViewer = parsed.results.map((r) => ({
          status: r.status,
          framesPerS: r.firstFrameMs === null ? 0 : round(r.frames / (probeSecs - r.firstFrameMs / 1000 + r.answerMs / 1000)),
          firstFrameMs: r.firstFrameMs === null ? null : round(r.firstFrameMs),
        }));
      } catch {
        log(`  probe output unreadable: ${text.slice(0, 200)} ${new TextDecoder().decode(out.stderr).slice(-300)}`);
      }
      const row = {
        viewers: n,
        client: "werift",
        ...w,
        cpuPerViewer: (w.cpuPerS - idle.cpuPerS) / n,
        probeProcessCpuS: round(probeCpu, 2),
        perViewer,
      };
      cost.push(row);
      log(`  ${n}: ${round(w.cpuPerS, 3)} CPU-s/s (${round(row.cpuPerViewer, 4)}/viewer over idle), RSS ${round(w.rssMiB)} MiB, frames/s ${perViewer.map((p) => p.framesPerS).join(",")}`);
      await sleep(1500);
    }
    results.publisherCost = cost;
  } finally {
    await browser?.close().catch(() => {});
    if (publisher) await stopChild(publisher.child);
    await s.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  await Deno.writeTextFile("bench/results.json", JSON.stringify(results, null, 2) + "\n");
  await Deno.writeTextFile("bench/RESULTS.md", markdown(results));
  log("wrote bench/results.json and bench/RESULTS.md");
}

/** The results document is plain JSON assembled above; the table reads it loosely. */
// deno-lint-ignore no-explicit-any
type Json = any;

function markdown(r: Json): string {
  const t = r.ttff;
  const tok = r.signaling.tokens;
  const cost = r.publisherCost as Json[];
  const idle = cost[0];
  const lines = [
    `# vigil bench — ${r.date}`,
    "",
    `Host: ${r.host.cpus} CPUs (${r.host.cpuModel}), Deno ${r.host.deno}. Loopback, headless Chromium.`,
    "",
    "| Metric | vigil | Baseline (same run) | Ratio | Target | Met |",
    "|---|---|---|---|---|---|",
    `| TTFF median (ms), ${t.runs} runs | ${t.vigil.medianMs} | ${t.baseline.medianMs} (Chromium→Chromium, ${t.baseline.codec}) | ${t.ratioMedian} | ≤ 200 ms and < baseline | ${t.vigil.medianMs <= 200 && t.vigil.medianMs < t.baseline.medianMs ? "yes" : "no"} |`,
    `| TTFF p95 (ms) | ${t.vigil.p95Ms} | ${t.baseline.p95Ms} | ${t.ratioP95} | — | — |`,
  ];
  for (const c of cost.slice(1)) {
    lines.push(
      `| Publisher CPU-s/s per viewer, ${c.viewers} ${c.client} viewer(s) | ${round(c.cpuPerViewer, 4)} (total ${round(c.cpuPerS, 3)}) | idle ${round(idle.cpuPerS, 3)} | ${round(c.cpuPerS / idle.cpuPerS, 2)}× idle | ≤ 0.02 | ${c.cpuPerViewer <= 0.02 ? "yes" : "no"} |`,
    );
  }
  for (const c of cost.slice(1)) {
    lines.push(
      `| Publisher RSS (MiB), ${c.viewers} ${c.client} | ${round(c.rssMiB)} (max ${round(c.rssMaxMiB)}) | idle ${round(idle.rssMiB)} | ${round(c.rssMiB / idle.rssMiB, 2)} | ≤ 150 MB | ${c.rssMaxMiB * 1.048576 <= 150 ? "yes" : "no"} |`,
    );
  }
  for (const c of cost.slice(1)) {
    const fps = c.perViewer.map((p: Json) => p.framesDecodedPerS ?? p.framesPerS);
    const extra = c.client === "chromium"
      ? `, dropped ${c.perViewer.map((p: Json) => p.framesDropped).join("/")}, lost pkts ${c.perViewer.map((p: Json) => p.packetsLost).join("/")}`
      : "";
    lines.push(
      `| Frames/s per viewer (${c.client === "chromium" ? "decoded" : "received"}), ${c.viewers} ${c.client} | min ${Math.min(...fps)} / median ${median(fps)}${extra} | source 30 | — | — | — |`,
    );
  }
  lines.push(
    `| Access-token verifications/s (EdDSA, verifyAccessToken) | ${round(tok.vigilEdDSAPerS)} | ${round(tok.joseES256PerS)} (jose ES256) | ${round(tok.vigilEdDSAPerS / tok.joseES256PerS, 2)} | — | — |`,
  );
  for (const w of r.signaling.whepSetups) {
    lines.push(
      `| WHEP setups/s (POST+DELETE, scripted publisher, concurrency ${w.concurrency}) | ${w.setupsPerS} (POST p50 ${w.postMedianMs} ms, p95 ${w.postP95Ms} ms) | — | — | — | — |`,
    );
  }
  lines.push(
    "",
    "Notes:",
    `- vigil TTFF: ${t.vigil.method}. Baseline: ${t.baseline.method}; its ICE gathering median was ${t.baseline.gatherMedianMs} ms of each run.`,
    "- CPU per viewer = (publisher CPU-s/s with N viewers − idle CPU-s/s) / N, publisher/main.ts process only (utime+stime from /proc), " +
      `${WINDOW_S} s windows. Chromium and the werift probe process run on the same 2 cores and compete with the publisher.`,
    "- werift viewers (publisher/peer/whep_probe.ts) count received frames (RTP marker bits); they do not decode.",
    "",
  );
  return lines.join("\n");
}

await main();
Deno.exit(0);
