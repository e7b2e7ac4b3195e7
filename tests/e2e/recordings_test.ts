/**
 * Recordings in the browser, headless Chromium against the real server and
 * the built viewer: real segments (the publisher's recorder) uploaded over
 * mTLS by the publisher's uploader, a snapshot from its snapshotter. The
 * span is listed on the timeline, plays from a chosen time (currentTime
 * advancing, at the wall-clock time asked), seeks, goes back to live, the
 * download is an MP4 of the span asked (ffprobe); a live-only viewer sees no
 * recordings UI; the page fits a phone. Writes tests/artifacts/recordings-timeline.png
 * (docs/recordings-timeline.png is a copy of it), so a test run leaves the checkout clean.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { buildWeb } from "../../subscriber-web/build.ts";
import { userAdd } from "../../signaling/admin/commands.ts";
import { assembleAccessUnits, splitAnnexB } from "../../publisher/media/annexb.ts";
import { SAMPLE_CLIP_PATH } from "../../publisher/sources/config.ts";
import { Snapshotter } from "../../publisher/recorder/snapshotter.ts";
import { silentLogger } from "../../lib/log.ts";
import { enrollDevice, startTestServer } from "../helpers/server.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { deviceUploader, recordSample } from "../helpers/recordings.ts";

type Seg = { start: number; end: number };

const hhmmss = (t: number) => {
  const d = new Date(t);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0"))
    .join(":");
};

const playback = (page: Page) =>
  page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="playback"]')!;
    const panel = document.querySelector<HTMLElement>('[data-testid="recordings"]')!;
    return {
      currentTime: v.currentTime,
      paused: v.paused,
      hidden: v.hidden,
      src: v.getAttribute("src") ?? "",
      frames: v.getVideoPlaybackQuality().totalVideoFrames,
      wallTime: Number(panel.dataset.wallTime ?? "NaN"),
    };
  });

Deno.test({
  name: "recordings in the browser: timeline, play from a time, seek, live, download",
  ignore: ignoreWithout(CHROMIUM, "ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir });
  const rec = await Deno.makeTempDir({ prefix: "vigil-rec-" });
  const browser = await launchChromium();
  try {
    const cam = await enrollDevice(s, "porch");
    // Two segments of 4 s (a keyframe every second), uploaded like the publisher does.
    await recordSample(rec, 8, 4);
    assert.ok(await deviceUploader(rec, cam, s.ctx.pki.caPem).uploadPending() >= 2);
    const rows = await s.ctx.store.recordings.list("porch", 0, Date.now() + 3600_000);
    const segs: Seg[] = rows.map((r) => ({ start: r.startMs, end: r.endMs }));
    const snap = new Snapshotter({
      intervalMs: 60_000,
      connect: () =>
        Promise.resolve({
          baseUrl: cam.deviceBase,
          deviceId: "porch",
          client: Deno.createHttpClient({
            caCerts: [s.ctx.pki.caPem],
            cert: cam.certPem,
            key: cam.keyPem,
          }),
        }),
      logger: silentLogger,
    });
    for (const au of assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE_CLIP_PATH)))) {
      snap.write({ ...au, timestamp: 0, captureTimeMs: Date.now() });
    }
    assert.ok(await snap.takeOne());
    await userAdd(s.dataDir, {
      name: "owner",
      password: "owner-password-1",
      cameras: ["porch"],
      recordings: ["porch"],
    });
    await userAdd(s.dataDir, {
      name: "guest",
      password: "guest-password-1",
      cameras: ["porch"],
    });

    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1100, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const login = async (user: string, password: string) => {
      await page.goto(`${s.base}/`);
      await page.getByTestId("username").fill(user);
      await page.getByTestId("password").fill(password);
      await page.getByTestId("login-submit").click();
    };

    await t.step("the camera list shows the snapshot", async () => {
      await login("owner", "owner-password-1");
      await page.waitForFunction(
        () => {
          const img = document.querySelector<HTMLImageElement>('[data-testid="snapshot-porch"]');
          return !!img && !img.hidden && img.complete && img.naturalWidth === 640;
        },
        null,
        { timeout: 15_000 },
      );
    });

    await t.step("the span is listed on the camera page's timeline", async () => {
      await page.getByTestId("camera-porch").locator("a").click();
      await page.locator(`[data-testid="recordings"][data-segments="${segs.length}"]`).waitFor({
        timeout: 15_000,
      });
      assert.match(await page.getByTestId("recordings-status").innerText(), /1 recorded span/);
    });

    const waitAdvancing = async (label: string) => {
      await page.waitForFunction(
        () => {
          const v = document.querySelector<HTMLVideoElement>('[data-testid="playback"]')!;
          return !v.paused && !v.seeking && v.readyState >= 3;
        },
        null,
        { timeout: 30_000 },
      );
      const a = await playback(page);
      await page.waitForTimeout(1200);
      const b = await playback(page);
      // The wall-clock position runs on across segments (one may end meanwhile).
      assert.ok(b.wallTime > a.wallTime + 300, `${label}: wall ${a.wallTime} → ${b.wallTime}`);
      if (a.src === b.src) {
        assert.ok(
          b.currentTime > a.currentTime + 0.3,
          `${label}: ${a.currentTime} → ${b.currentTime}`,
        );
        assert.ok(b.frames > a.frames, `${label}: frames presented ${a.frames} → ${b.frames}`);
      }
      return a;
    };

    await t.step("plays from a chosen time: currentTime advances from that time", async () => {
      // Whole seconds (the time field's resolution) inside the first segment.
      const want = Math.ceil((segs[0].start + 1000) / 1000) * 1000;
      await page.getByTestId("play-from").fill(hhmmss(want));
      await page.getByTestId("play-at").click();
      const a = await waitAdvancing("first play");
      assert.ok(!a.hidden);
      assert.ok(
        Math.abs(a.wallTime - want) < 1500,
        `at ${a.wallTime - want} ms from the time asked`,
      );
      assert.equal(
        await page.locator(".stage").isHidden(),
        true,
        "live video is off while a recording plays",
      );
    });

    await t.step("seeking: into the next segment by time, and the video's own seek", async () => {
      const want = Math.ceil((segs[1].start + 1500) / 1000) * 1000;
      const before = (await playback(page)).src;
      await page.getByTestId("play-from").fill(hhmmss(want));
      await page.getByTestId("play-at").click();
      await page.waitForFunction(
        (src) =>
          document.querySelector<HTMLVideoElement>('[data-testid="playback"]')!.getAttribute(
            "src",
          ) !== src,
        before,
        { timeout: 15_000 },
      );
      const a = await waitAdvancing("second segment");
      assert.ok(
        Math.abs(a.wallTime - want) < 1500,
        `at ${a.wallTime - want} ms from the time asked`,
      );
      await page.evaluate(() => {
        const v = document.querySelector<HTMLVideoElement>('[data-testid="playback"]')!;
        v.currentTime = 0.2; // as the video's own controls do (it may have ended meanwhile)
        void v.play();
      });
      await page.waitForFunction(
        () =>
          document.querySelector<HTMLVideoElement>('[data-testid="playback"]')!.currentTime < 1.5,
        null,
        { timeout: 10_000 },
      );
      await waitAdvancing("after the video's seek");
      // A click on the timeline just before the span plays it from its start.
      await page.getByTestId("timeline").scrollIntoViewIfNeeded();
      const box = (await page.getByTestId("timeline").boundingBox())!;
      const x = await page.evaluate(([start, w]) => {
        const d = new Date(start);
        const day = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
        return ((start - day) / 86_400_000) * w;
      }, [segs[0].start, box.width]);
      await page.mouse.click(box.x + Math.max(0, x - 4), box.y + box.height / 3);
      await page.waitForFunction(
        (first) => {
          const panel = document.querySelector<HTMLElement>('[data-testid="recordings"]')!;
          return Math.abs(Number(panel.dataset.wallTime) - first) < 1500;
        },
        segs[0].start,
        { timeout: 15_000 },
      );
      await waitAdvancing("from the timeline");
    });

    await t.step("the timeline zoomed to an hour: a click plays that moment", async () => {
      await page.evaluate(() =>
        document.querySelector<HTMLVideoElement>('[data-testid="playback"]')!.pause()
      );
      await page.getByTestId("timeline-zoom").click();
      const tl = page.getByTestId("timeline");
      await tl.scrollIntoViewIfNeeded();
      const range = await tl.evaluate((
        c,
      ) => [Number(c.dataset.rangeStart), Number(c.dataset.rangeEnd)]);
      assert.equal(range[1] - range[0], 3600_000);
      const box = (await tl.boundingBox())!;
      const want = segs[0].start + 2000;
      const x = ((want - range[0]) / (range[1] - range[0])) * box.width;
      await page.mouse.click(box.x + x, box.y + box.height / 3);
      await page.waitForFunction(
        (w) => {
          const panel = document.querySelector<HTMLElement>('[data-testid="recordings"]')!;
          return Math.abs(Number(panel.dataset.wallTime) - w) < 4000;
        },
        want,
        { timeout: 15_000 },
      );
      await waitAdvancing("from the zoomed timeline");
      await Deno.mkdir("tests/artifacts", { recursive: true });
      await page.screenshot({ path: "tests/artifacts/recordings-timeline.png", fullPage: true });
    });

    await t.step("download a span: an MP4 of the length asked (ffprobe)", async () => {
      const from = Math.ceil(segs[0].start / 1000) * 1000 + 1000;
      const to = from + 4000;
      await page.getByTestId("download-from").fill(hhmmss(from));
      await page.getByTestId("download-to").fill(hhmmss(to));
      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout: 20_000 }),
        page.getByTestId("download").click(),
      ]);
      const path = `${rec}/download.mp4`;
      await download.saveAs(path);
      const out = await new Deno.Command("ffprobe", {
        args: ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        stdout: "piped",
      }).output();
      const duration = Number(new TextDecoder().decode(out.stdout).trim());
      // Whole GOPs of 1 s: from the keyframe at or before `from` through the one holding `to`.
      assert.ok(duration >= 4 - 0.05 && duration <= 6.05, `duration ${duration}`);
    });

    await t.step("back to live: the recording stops, the live view returns", async () => {
      await page.getByTestId("back-to-live").click();
      await page.locator(".stage").waitFor({ state: "visible", timeout: 10_000 });
      const p = await playback(page);
      assert.ok(p.hidden && p.src === "", JSON.stringify(p));
    });

    await t.step("a phone-sized screen: nothing wider than the screen", async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const wide = await page.evaluate(() => document.scrollingElement!.scrollWidth);
      assert.ok(wide <= 390, `page is ${wide} px wide`);
      const tl = (await page.getByTestId("timeline").boundingBox())!;
      assert.ok(tl.width >= 300 && tl.x >= 0 && tl.x + tl.width <= 390, JSON.stringify(tl));
      await page.setViewportSize({ width: 1100, height: 900 });
    });

    await t.step("a live-only viewer sees no recordings UI", async () => {
      await page.getByTestId("logout").click();
      await page.getByTestId("login-form").waitFor({ timeout: 10_000 });
      await login("guest", "guest-password-1");
      await page.getByTestId("camera-porch").locator("a").click();
      await page.getByTestId("video").waitFor({ timeout: 10_000 });
      await page.waitForTimeout(500);
      assert.equal(await page.getByTestId("recordings").count(), 0);
      const status = await page.evaluate(async () => {
        const r = await fetch("/auth/refresh", { method: "POST" });
        const { accessToken } = await r.json();
        const q = `from=${new Date(Date.now() - 3600_000).toISOString()}&to=${
          new Date().toISOString()
        }`;
        return (await fetch(`/api/cameras/porch/recordings?${q}`, {
          headers: { authorization: `Bearer ${accessToken}` },
        })).status;
      });
      assert.equal(status, 403);
    });
  } finally {
    await browser.close();
    await s.stop();
    await Deno.remove(rec, { recursive: true });
    await Deno.remove(webDir, { recursive: true });
  }
});
