/**
 * Headless Chromium viewers of Janus's streaming mountpoint, and the
 * answer → first frame measurement for both systems with one method:
 *
 * - **Janus** offers: the page applies Janus's offer, creates its answer, and
 *   the clock starts as it applies the answer (`setLocalDescription`); the
 *   answer goes to Janus (`start`), the page's candidates trickle after it.
 * - **vigil**: the page offers (recvonly, candidates gathered), the WHEP POST
 *   goes through the real server to the real publisher, and the clock starts
 *   as the page applies the answer (`setRemoteDescription`).
 *
 * Both stop at the first presented frame (`requestVideoFrameCallback`'s
 * presentationTime, as bench/ttff.ts does).
 *
 * @module
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { procCpuSeconds, sampleWindow, type WindowSample } from "../lib/proc.ts";
import { round, sleep } from "../lib/stats.ts";
import { JanusSession, type StreamingHandle } from "./api.ts";
import type { RunningJanus } from "./server.ts";

/** How long a viewer may take to show its first frame. */
const FIRST_FRAME_TIMEOUT_MS = 15_000;

type BenchGlobal = {
  __pc: RTCPeerConnection;
  __t0: number;
  __first: Promise<number>;
  __janusTrickle: (c: RTCIceCandidateInit | null) => Promise<void>;
};

/** Negotiated ciphers of the page's peer connection (from getStats "transport"). */
export interface Ciphers {
  srtpCipher: string;
  dtlsCipher: string;
}

/** One call's result. */
export interface FirstFrame extends Ciphers {
  /** Answer applied → first presented frame, ms; -1 if none within the timeout. */
  ms: number;
}

/** In the page: a video element that resolves `__first` at its first presented frame. */
function installPlayer(page: Page): Promise<void> {
  return page.evaluate(() => {
    const g = globalThis as unknown as BenchGlobal;
    const video = document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    document.body.replaceChildren(video);
    g.__first = new Promise<number>((resolve) => {
      g.__pc.ontrack = (e) => {
        video.srcObject = new MediaStream([e.track]);
        video.play().catch(() => {});
        video.requestVideoFrameCallback((now, meta) =>
          resolve(((meta as { presentationTime?: number }).presentationTime ?? now) - g.__t0)
        );
      };
    });
  });
}

/** Waits for the page's first frame; then reads the negotiated ciphers. */
function awaitFirstFrame(page: Page): Promise<FirstFrame> {
  return page.evaluate(async (timeoutMs) => {
    const g = globalThis as unknown as BenchGlobal;
    const ms = await Promise.race([
      g.__first,
      new Promise<number>((r) => setTimeout(() => r(-1), timeoutMs)),
    ]);
    let srtpCipher = "", dtlsCipher = "";
    (await g.__pc.getStats()).forEach((s) => {
      if (s.type === "transport") {
        srtpCipher = s.srtpCipher ?? "";
        dtlsCipher = s.dtlsCipher ?? "";
      }
    });
    return { ms, srtpCipher, dtlsCipher };
  }, FIRST_FRAME_TIMEOUT_MS);
}

/** A page ready for Janus viewers: candidates go to whichever handle `target()` names. */
async function janusPage(
  ctx: BrowserContext,
  target: () => StreamingHandle | null,
): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto("about:blank");
  await page.exposeFunction(
    "__janusTrickle",
    (c: RTCIceCandidateInit | null) => target()?.trickle(c).catch(() => {}),
  );
  return page;
}

/** One Janus viewer on `page`: watch → Janus's offer → answer (clock starts) → start. */
async function watchJanus(page: Page, handle: StreamingHandle, mountpoint: number) {
  const offer = await handle.watch(mountpoint);
  await page.evaluate(() => {
    const g = globalThis as unknown as BenchGlobal;
    g.__pc?.close();
    g.__pc = new RTCPeerConnection({ iceServers: [] });
    g.__pc.onicecandidate = (e) => void g.__janusTrickle(e.candidate ? e.candidate.toJSON() : null);
  });
  await installPlayer(page);
  const answer = await page.evaluate(async (sdp) => {
    const g = globalThis as unknown as BenchGlobal;
    await g.__pc.setRemoteDescription({ type: "offer", sdp });
    const a = await g.__pc.createAnswer();
    g.__t0 = performance.now();
    await g.__pc.setLocalDescription(a);
    return g.__pc.localDescription!.sdp;
  }, offer);
  await handle.start(answer);
}

/** One Janus answer → first frame call on a reused page (a fresh session each time). */
export async function janusFirstFrame(
  page: Page,
  j: RunningJanus,
  setTarget: (h: StreamingHandle | null) => void,
): Promise<FirstFrame> {
  const session = await JanusSession.create(j.apiBase);
  try {
    const handle = await session.attachStreaming();
    setTarget(handle);
    await watchJanus(page, handle, j.mountpointId);
    return await awaitFirstFrame(page);
  } finally {
    setTarget(null);
    await page.evaluate(() => (globalThis as unknown as BenchGlobal).__pc?.close());
    await session.destroy().catch(() => {});
  }
}

/** A page for {@linkcode janusFirstFrame} calls, with its trickle target. */
export async function janusTtffPage(ctx: BrowserContext) {
  let current: StreamingHandle | null = null;
  const page = await janusPage(ctx, () => current);
  return { page, setTarget: (h: StreamingHandle | null) => current = h };
}

/** Where and as whom the vigil WHEP calls go. */
export interface WhepTarget {
  base: string;
  camera: string;
  /** An HTTP client trusting the server's CA. */
  client: Deno.HttpClient;
  accessToken: string;
}

/** Logs in a viewer and returns the access token. */
export async function viewerToken(
  base: string,
  client: Deno.HttpClient,
  user: string,
  password: string,
): Promise<string> {
  const res = await fetch(`${base}/auth/login`, {
    method: "POST",
    client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: user, password }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** One vigil answer → first frame call on `page`: offer, WHEP POST, answer applied (clock starts). */
export async function vigilFirstFrame(page: Page, w: WhepTarget): Promise<FirstFrame> {
  const offer = await page.evaluate(async () => {
    const g = globalThis as unknown as BenchGlobal;
    g.__pc?.close();
    g.__pc = new RTCPeerConnection({ iceServers: [] });
    g.__pc.addTransceiver("video", { direction: "recvonly" });
    await g.__pc.setLocalDescription(await g.__pc.createOffer());
    await new Promise<void>((r) => {
      if (g.__pc.iceGatheringState === "complete") r();
      g.__pc.onicegatheringstatechange = () => g.__pc.iceGatheringState === "complete" && r();
    });
    return g.__pc.localDescription!.sdp;
  });
  await installPlayer(page);
  const auth = { authorization: `Bearer ${w.accessToken}` };
  const res = await fetch(`${w.base}/whep/${w.camera}`, {
    method: "POST",
    client: w.client,
    headers: { "content-type": "application/sdp", ...auth },
    body: offer,
  });
  const answer = await res.text();
  if (res.status !== 201) throw new Error(`WHEP POST: ${res.status} ${answer.slice(0, 200)}`);
  const location = new URL(res.headers.get("location") ?? "", w.base);
  try {
    await page.evaluate(async (sdp) => {
      const g = globalThis as unknown as BenchGlobal;
      g.__t0 = performance.now();
      await g.__pc.setRemoteDescription({ type: "answer", sdp });
    }, answer);
    return await awaitFirstFrame(page);
  } finally {
    await page.evaluate(() => (globalThis as unknown as BenchGlobal).__pc?.close());
    const del = await fetch(location, { method: "DELETE", client: w.client, headers: auth });
    await del.body?.cancel();
  }
}

/** Janus (and its feeder) over one window. */
export interface JanusCostRow extends WindowSample {
  viewers: number;
  /** (CPU-s/s − idle CPU-s/s) / viewers; 0 for idle. */
  cpuPerViewer: number;
  /** CPU-s/s of the ffmpeg RTP feeder over the same window. */
  feederCpuPerS: number;
  perViewer: { framesPerS: number; framesDropped: number; packetsLost: number }[];
}

/** Janus's and the feeder's CPU and RSS over `windowS` (no viewer added). */
export async function janusWindow(j: RunningJanus, windowS: number) {
  const f0 = procCpuSeconds(j.feederPid);
  const w = await sampleWindow(j.pid, windowS);
  return { ...w, feederCpuPerS: (procCpuSeconds(j.feederPid) - f0) / w.wallS };
}

/** Janus with no viewer. */
export async function janusIdle(j: RunningJanus, windowS: number): Promise<JanusCostRow> {
  return { viewers: 0, cpuPerViewer: 0, perViewer: [], ...await janusWindow(j, windowS) };
}

function inbound(page: Page) {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as BenchGlobal).__pc;
    let framesDecoded = 0, framesDropped = 0, packetsLost = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") {
        framesDecoded += r.framesDecoded ?? 0;
        framesDropped += r.framesDropped ?? 0;
        packetsLost += r.packetsLost ?? 0;
      }
    });
    return { framesDecoded, framesDropped, packetsLost };
  });
}

/**
 * `n` Chromium viewers of Janus (a page and a Janus session each, like the
 * vigil viewers in bench/publisher_cost.ts), measured over `windowS` once all
 * show frames and 2 s have passed.
 */
export async function janusChromiumCost(
  browser: Browser,
  j: RunningJanus,
  n: number,
  windowS: number,
  idle: JanusCostRow,
): Promise<JanusCostRow> {
  const viewers: { ctx: BrowserContext; page: Page; session: JanusSession }[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const ctx = await browser.newContext();
      const session = await JanusSession.create(j.apiBase);
      const handle = await session.attachStreaming();
      const page = await janusPage(ctx, () => handle);
      viewers.push({ ctx, page, session });
      await watchJanus(page, handle, j.mountpointId);
    }
    const firsts = await Promise.all(viewers.map((v) => awaitFirstFrame(v.page)));
    if (firsts.some((f) => f.ms < 0)) throw new Error(`janus: a viewer of ${n} showed no frame`);
    await sleep(2000); // as the vigil viewers: past any start-up burst
    const before = await Promise.all(viewers.map((v) => inbound(v.page)));
    const w = await janusWindow(j, windowS);
    const after = await Promise.all(viewers.map((v) => inbound(v.page)));
    return {
      viewers: n,
      ...w,
      cpuPerViewer: (w.cpuPerS - idle.cpuPerS) / n,
      perViewer: after.map((a, i) => ({
        framesPerS: round((a.framesDecoded - before[i].framesDecoded) / w.wallS),
        framesDropped: a.framesDropped - before[i].framesDropped,
        packetsLost: a.packetsLost - before[i].packetsLost,
      })),
    };
  } finally {
    for (const v of viewers) {
      await v.session.destroy().catch(() => {});
      await v.ctx.close().catch(() => {});
    }
  }
}
