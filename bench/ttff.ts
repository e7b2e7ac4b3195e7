/**
 * Time to first frame (TTFF), from the viewer's offer to the first presented frame:
 *
 * - **vigil**: the built viewer's own `__vigil.ttffMs` (WHEP offer POST → first frame
 *   presented, trickle ICE, through the real server and publisher), a fresh session per run;
 * - **baseline**: libwebrtc on both sides, Chromium to Chromium in one page with a fake
 *   720p30 camera, trickle ICE, the offer and candidates handed over in-page (no signaling
 *   delay at all), from `createOffer` to the first `requestVideoFrameCallback`.
 *
 * @module
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { median, quantile, round, sleep } from "./lib/stats.ts";

/** A viewer login for the built viewer. */
export interface ViewerLogin {
  base: string;
  user: string;
  password: string;
  camera: string;
}

/** TTFF samples and their summary. */
export interface TtffSeries {
  medianMs: number;
  p95Ms: number;
  samplesMs: number[];
  method: string;
}

type VigilWindow = { __vigil: { state: string; ttffMs: number | null } };

/** Keeps every RTCPeerConnection a page makes (for getStats); an init script. */
export const CAPTURE_PCS = `(() => {
  const Orig = globalThis.RTCPeerConnection;
  globalThis.__benchPcs = [];
  globalThis.RTCPeerConnection = class extends Orig {
    constructor(...a) { super(...a); globalThis.__benchPcs.push(this); }
  };
})();`;

/** A logged-in viewer page, on the camera list with the camera online. */
export async function viewerPage(
  browser: Browser,
  login: ViewerLogin,
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
  });
  await ctx.addInitScript(CAPTURE_PCS);
  const page = await ctx.newPage();
  await page.goto(`${login.base}/`);
  await page.getByTestId("username").fill(login.user);
  await page.getByTestId("password").fill(login.password);
  await page.getByTestId("login-submit").click();
  await page.locator(`[data-testid="camera-${login.camera}"][data-online="true"]`).waitFor({
    timeout: 20_000,
  });
  return { ctx, page };
}

/** Opens the camera and returns the viewer's TTFF. */
export async function openCamera(page: Page, camera: string): Promise<number> {
  await page.evaluate((cam) => location.hash = `#/camera/${cam}`, camera);
  await page.waitForFunction(
    () => {
      const v = (globalThis as unknown as VigilWindow).__vigil;
      return v.state === "playing" && v.ttffMs !== null;
    },
    null,
    { timeout: 20_000 },
  );
  return await page.evaluate(() => (globalThis as unknown as VigilWindow).__vigil.ttffMs!);
}

/** Back to the camera list (the viewer ends its WHEP session). */
export async function leaveCamera(page: Page): Promise<void> {
  await page.evaluate(() => location.hash = "#/");
  await page.waitForFunction(
    () => (globalThis as unknown as VigilWindow).__vigil.state === "cameras",
    null,
    { timeout: 10_000 },
  );
}

function series(samples: number[], method: string): TtffSeries {
  return {
    medianMs: round(median(samples)),
    p95Ms: round(quantile(samples, 0.95)),
    samplesMs: samples,
    method,
  };
}

/** vigil's TTFF over `runs` fresh sessions (after one warm-up). */
export async function vigilTtff(
  browser: Browser,
  login: ViewerLogin,
  runs: number,
  log: (m: string) => void,
): Promise<TtffSeries> {
  const { ctx, page } = await viewerPage(browser, login);
  const samples: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const ms = await openCamera(page, login.camera);
      if (i > 0) samples.push(ms);
      await leaveCamera(page);
      await sleep(150);
      if (i > 0 && i % 5 === 0) log(`  ${i}/${runs}: last ${ms} ms`);
    }
  } finally {
    await ctx.close();
  }
  return series(
    samples,
    "built viewer, __vigil.ttffMs: WHEP offer POST → first presented frame, trickle ICE",
  );
}

/** One in-page Chromium→Chromium call; resolves with createOffer → first presented frame. */
function baselineCall(page: Page): Promise<{ ttffMs: number; codec: string }> {
  return page.evaluate(async () => {
    const g = globalThis as unknown as { __stream: MediaStream };
    const config: RTCConfiguration = { iceServers: [], bundlePolicy: "max-bundle" };
    const send = new RTCPeerConnection(config);
    const recv = new RTCPeerConnection(config);
    // Trickle: each candidate goes to the other side the moment it is gathered.
    send.onicecandidate = (e) => e.candidate && recv.addIceCandidate(e.candidate).catch(() => {});
    recv.onicecandidate = (e) => e.candidate && send.addIceCandidate(e.candidate).catch(() => {});
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    document.body.replaceChildren(video);
    const t0 = performance.now();
    const first = new Promise<number>((resolve) => {
      recv.ontrack = (e) => {
        video.srcObject = new MediaStream([e.track]);
        video.play().catch(() => {});
        video.requestVideoFrameCallback((now, meta) =>
          resolve(((meta as { presentationTime?: number }).presentationTime ?? now) - t0)
        );
      };
    });
    const tr = recv.addTransceiver("video", { direction: "recvonly" });
    const caps = RTCRtpReceiver.getCapabilities("video")?.codecs ?? [];
    const h264 = caps.filter((c) => /h264/i.test(c.mimeType) && /42e01f/.test(c.sdpFmtpLine ?? ""));
    if (h264.length) tr.setCodecPreferences([...h264, ...caps.filter((c) => !h264.includes(c))]);
    await recv.setLocalDescription(await recv.createOffer());
    await send.setRemoteDescription(recv.localDescription!);
    send.addTrack(g.__stream.getVideoTracks()[0], g.__stream);
    await send.setLocalDescription(await send.createAnswer());
    await recv.setRemoteDescription(send.localDescription!);
    const ttffMs = await Promise.race([
      first,
      new Promise<number>((r) => setTimeout(() => r(-1), 15_000)),
    ]);
    let codec = "";
    (await recv.getStats()).forEach((s) => {
      if (s.type === "codec") codec = s.mimeType;
    });
    send.close();
    recv.close();
    return { ttffMs, codec };
  });
}

/** The libwebrtc baseline over `runs` calls (after one warm-up). */
export async function baselineTtff(
  browser: Browser,
  runs: number,
  log: (m: string) => void,
): Promise<TtffSeries & { codec: string }> {
  // vigil's origin forbids the camera (Permissions-Policy: camera=()), so the baseline
  // runs on its own blank page on http://localhost (a secure context).
  const blank = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response("<!doctype html><title>baseline</title><body></body>", {
        headers: { "content-type": "text/html" },
      }),
  );
  const ctx = await browser.newContext({ permissions: ["camera"] });
  const samples: number[] = [];
  let codec = "";
  try {
    const page = await ctx.newPage();
    await page.goto(`http://localhost:${blank.addr.port}/`);
    await page.evaluate(async () => {
      (globalThis as unknown as { __stream: MediaStream }).__stream = await navigator.mediaDevices
        .getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 } });
    });
    for (let i = 0; i <= runs; i++) {
      const r = await baselineCall(page);
      if (r.ttffMs < 0) throw new Error("baseline: no frame within 15 s");
      if (i > 0) samples.push(round(r.ttffMs));
      codec = r.codec;
      await sleep(100);
      if (i > 0 && i % 5 === 0) log(`  ${i}/${runs}: last ${round(r.ttffMs)} ms (${r.codec})`);
    }
  } finally {
    await ctx.close();
    await blank.shutdown();
  }
  return {
    ...series(
      samples,
      "Chromium→Chromium (libwebrtc both sides) in one page, fake 720p30 camera, trickle ICE handed over " +
        "in-page (no signaling delay): createOffer → first presented frame (requestVideoFrameCallback)",
    ),
    codec,
  };
}
