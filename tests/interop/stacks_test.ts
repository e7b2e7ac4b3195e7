/**
 * Interop: one live camera (real server, real publisher process) played by
 * WebRTC stacks vigil does not contain, each decoding frames, beside vigil's
 * own viewer in Chromium as the same-run baseline:
 *
 * - aiortc (Python: aioice, pyOpenSSL, PyAV), Debian python3-aiortc;
 * - GStreamer webrtcbin (libnice, GStreamer DTLS/SRTP, avdec_h264);
 * - the npm `whip-whep` WHEP client (medooze) in headless Chromium, used
 *   unchanged and set up as its README shows (audio + video transceivers,
 *   sendrecv, audio first, max-bundle).
 *
 * Times to first frame are recorded (printed, tests/artifacts/interop.json),
 * never asserted: performance belongs to `deno task bench`.
 */
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { buildWeb } from "../../subscriber-web/build.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { type LiveCamera, startLiveCamera } from "../helpers/live_camera.ts";
import { AIORTC, type PlayerResult, runPlayer, unavailable, WEBRTCBIN } from "./_players.ts";
import { buildWhipWhepPage } from "./whip_whep_page/build.ts";
import type { PlayerState } from "./whip_whep_page/page.ts";

const FRAMES = 30;
const noChromium = ignoreWithout(CHROMIUM);
const noAiortc = unavailable(AIORTC) !== null;
const noWebrtcbin = unavailable(WEBRTCBIN) !== null;

/** One row of the report. */
interface Row {
  stack: string;
  frames: number;
  /** ms from the offer POST (whip-whep: from `view()`) to the first frame. */
  firstFrameMs: number | null;
  extra?: Record<string, unknown>;
}

function assertPlayed(r: PlayerResult): void {
  assert.equal(r.status, 201, `${r.stack}: WHEP POST answered ${r.status}: ${r.error ?? ""}`);
  assert.ok(!r.timedOut, `${r.stack}: only ${r.frames} frames decoded before its timeout`);
  assert.ok(r.frames >= FRAMES, `${r.stack}: ${r.frames} frames`);
  assert.deepEqual([r.width, r.height], [1280, 720], `${r.stack}: decoded picture size`);
  assert.equal(r.deleteStatus, 200, `${r.stack}: DELETE of its session`);
}

/** vigil's viewer: log in, open the camera, wait for decoded frames. */
async function vigilViewer(browser: Browser, cam: LiveCamera): Promise<Row> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(`${cam.server.base}/`);
    await page.getByTestId("username").fill(cam.username);
    await page.getByTestId("password").fill(cam.password);
    await page.getByTestId("login-submit").click();
    await page.locator(`[data-testid="camera-${cam.camera}"][data-online="true"]`).waitFor({
      timeout: 10_000,
    });
    await page.getByTestId(`camera-${cam.camera}`).locator("a").click();
    await page.waitForFunction(
      (n) => {
        const v = (globalThis as unknown as { __vigil: { framesDecoded: number; ttffMs: unknown } })
          .__vigil;
        return v.framesDecoded >= n && v.ttffMs !== null;
      },
      FRAMES,
      { timeout: 15_000 },
    );
    const v = await page.evaluate(() =>
      (globalThis as unknown as { __vigil: { framesDecoded: number; ttffMs: number } }).__vigil
    );
    await page.goto("about:blank"); // pagehide: the viewer DELETEs its session
    return { stack: "vigil viewer (Chromium)", frames: v.framesDecoded, firstFrameMs: v.ttffMs };
  } finally {
    await context.close();
  }
}

/** The whip-whep page at `pageUrl` plays `whepUrl`; returns its final state. */
async function whipWhep(
  browser: Browser,
  pageUrl: string,
  whepUrl: string,
  token: string,
): Promise<PlayerState> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(pageUrl);
    type Page = { whepPage: { play(u: string, t: string): Promise<void>; poll(): PlayerState } };
    await page.evaluate(
      ([u, tk]) => (globalThis as unknown as Page).whepPage.play(u, tk),
      [whepUrl, token],
    );
    const deadline = Date.now() + 15_000;
    let s: PlayerState;
    do {
      await new Promise((r) => setTimeout(r, 100));
      s = await page.evaluate(() => (globalThis as unknown as Page).whepPage.poll());
    } while (
      !s.error && (s.framesDecoded < FRAMES || s.firstFrameMs === null) && Date.now() < deadline
    );
    await page.evaluate(() =>
      (globalThis as unknown as { whepPage: { stop(): Promise<void> } }).whepPage.stop()
    );
    return s;
  } finally {
    await context.close();
  }
}

function report(rows: Row[]): void {
  const base = rows.find((r) => r.stack.startsWith("vigil"))?.firstFrameMs ?? null;
  console.log("\nstack                       frames  first frame   × vigil viewer");
  for (const r of rows) {
    const ratio = base && r.firstFrameMs !== null ? (r.firstFrameMs / base).toFixed(2) : "-";
    const ttff = r.firstFrameMs === null ? "-" : `${Math.round(r.firstFrameMs)} ms`;
    console.log(
      `${r.stack.padEnd(28)}${String(r.frames).padStart(6)}  ${ttff.padStart(11)}   ${ratio}`,
    );
  }
  Deno.mkdirSync("tests/artifacts", { recursive: true });
  Deno.writeTextFileSync(
    "tests/artifacts/interop.json",
    JSON.stringify({ at: new Date().toISOString(), rows }, null, 2) + "\n",
  );
}

Deno.test({
  name: "interop: a live camera plays in independent WebRTC stacks",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "interop-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  await buildWhipWhepPage(`${webDir}/interop-whip-whep`);
  const cam = await startLiveCamera({ server: { webDir } });
  const browser = noChromium ? null : await launchChromium();
  const rows: Row[] = [];
  try {
    await t.step({
      name: "baseline: vigil's own viewer in Chromium",
      ignore: noChromium,
      fn: async () => {
        const row = await vigilViewer(browser!, cam);
        rows.push(row);
        assert.ok(row.frames >= FRAMES);
      },
    });

    const players = [
      { player: AIORTC, skip: noAiortc, args: [], label: "aiortc" },
      // webrtcbin as shipped: its jitterbuffer holds the first frame 200 ms.
      { player: WEBRTCBIN, skip: noWebrtcbin, args: [], label: "webrtcbin" },
      // As a live viewer would set it: the time left is ICE, DTLS and the first decode.
      {
        player: WEBRTCBIN,
        skip: noWebrtcbin,
        args: ["--latency", "0"],
        label: "webrtcbin latency=0",
      },
    ];
    for (const { player, skip, args, label } of players) {
      await t.step({
        name: `${label} decodes ${FRAMES} frames`,
        ignore: skip,
        fn: async () => {
          const r = await runPlayer(player, cam, FRAMES, args);
          const { frames, firstFrameMs, ...extra } = r;
          rows.push({ stack: label, frames, firstFrameMs: firstFrameMs ?? null, extra });
          assertPlayed(r);
        },
      });
    }

    await t.step({
      name: "whip-whep (npm) in Chromium, same origin, audio-first sendrecv offer",
      ignore: noChromium,
      fn: async () => {
        const s = await whipWhep(
          browser!,
          `${cam.server.base}/interop-whip-whep/index.html`,
          cam.whepUrl,
          await cam.token(),
        );
        rows.push({
          stack: "whip-whep (Chromium)",
          frames: s.framesDecoded,
          firstFrameMs: s.firstFrameMs,
        });
        assert.equal(s.error, null, `whip-whep failed: ${s.error}`);
        assert.ok(s.framesDecoded >= FRAMES, `${s.framesDecoded} frames: ${JSON.stringify(s)}`);
        assert.deepEqual([s.width, s.height], [1280, 720]);
      },
    });
  } finally {
    report(rows);
    await browser?.close();
    await cam.stop();
    await Deno.remove(webDir, { recursive: true });
  }
});

Deno.test({
  name: "interop: whip-whep from another origin (waits for the server's --cors-origin, issue 14.1)",
  // Ignored until the server answers CORS preflights (the follow-up after the
  // server refactor); the page, its static server and the checks are ready.
  ignore: true,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const pageDir = await Deno.makeTempDir({ prefix: "interop-page-" });
  await buildWhipWhepPage(pageDir);
  const files = new Map([
    ["/index.html", { body: await Deno.readFile(`${pageDir}/index.html`), type: "text/html" }],
    ["/page.js", { body: await Deno.readFile(`${pageDir}/page.js`), type: "text/javascript" }],
  ]);
  const pages = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const f = files.get(new URL(req.url).pathname);
    return f
      ? new Response(f.body, { headers: { "content-type": f.type } })
      : new Response("not found", { status: 404 });
  });
  const origin = `http://127.0.0.1:${pages.addr.port}`;
  // The option's final name comes with the server change (--cors-origin ORIGIN).
  const cam = await startLiveCamera({
    server: { corsOrigins: [origin] } as Record<string, unknown>,
  });
  const browser = await launchChromium();
  try {
    const s = await whipWhep(browser, `${origin}/index.html`, cam.whepUrl, await cam.token());
    assert.equal(s.error, null, `whip-whep failed: ${s.error}`);
    assert.ok(s.framesDecoded >= FRAMES, `${s.framesDecoded} frames`);
  } finally {
    await browser.close();
    await cam.stop();
    await pages.shutdown();
    await Deno.remove(pageDir, { recursive: true });
  }
});

Deno.test({
  name:
    "interop: whip-whep's ICE restart keeps playing (waits for the server's PATCH restart, issue 14.4)",
  // Ignored until the server relays a restart PATCH to the publisher (the
  // publisher's half is ViewerPeer.restartIce, tested with Chromium).
  ignore: true,
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const webDir = await Deno.makeTempDir({ prefix: "interop-web-" });
  await buildWhipWhepPage(`${webDir}/interop-whip-whep`);
  const cam = await startLiveCamera({ server: { webDir } });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${cam.server.base}/interop-whip-whep/index.html`);
    type Page = {
      whepPage: {
        play(u: string, t: string): Promise<void>;
        poll(): PlayerState;
        restart(): Promise<void>;
      };
    };
    const poll = () => page.evaluate(() => (globalThis as unknown as Page).whepPage.poll());
    const until = async (what: string, ok: (s: PlayerState) => boolean) => {
      const deadline = Date.now() + 15_000;
      while (!ok(await poll())) {
        if (Date.now() > deadline) {
          throw new Error(`timed out: ${what}: ${JSON.stringify(await poll())}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await page.evaluate(
      ([u, tk]) => (globalThis as unknown as Page).whepPage.play(u, tk),
      [cam.whepUrl, await cam.token()],
    );
    await until("30 frames", (s) => s.framesDecoded >= FRAMES);
    await page.evaluate(() => (globalThis as unknown as Page).whepPage.restart());
    const before = (await poll()).framesDecoded;
    await until("30 frames after the restart", (s) => s.framesDecoded >= before + FRAMES);
    assert.equal((await poll()).error, null);
    await context.close();
  } finally {
    await browser.close();
    await cam.stop();
    await Deno.remove(webDir, { recursive: true });
  }
});
