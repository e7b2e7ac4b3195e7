/**
 * End to end in headless Chromium: the real server, a real publisher process
 * (file source, started with exactly the `publish` task's flags) and the
 * built viewer. Frames must be decoded by the browser.
 */
import { startLocalPublisher, stopProcess } from "../helpers/publisher_process.ts";
import assert from "node:assert/strict";
import { buildWeb } from "../../subscriber-web/build.ts";
import { userAdd } from "../../signaling/admin/commands.ts";
import { enrollInto, startTestServer } from "../helpers/server.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";

const ignore = ignoreWithout(CHROMIUM);

await Deno.mkdir("tests/artifacts", { recursive: true });

Deno.test({
  name: "browser viewer end to end",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir });
  const stateDir = await Deno.makeTempDir({ prefix: "vigil-dev-" });
  await enrollInto(s, "e2e-cam", stateDir, "E2E camera");
  await userAdd(s.dataDir, {
    name: "watcher",
    password: "watcher-password-1",
    cameras: ["e2e-cam"],
  });
  await userAdd(s.dataDir, {
    name: "stranger",
    password: "stranger-password-1",
    cameras: ["other-cam"],
  });
  let publisher: Deno.ChildProcess | null = null;
  const startPublisher = () =>
    startLocalPublisher(stateDir, { logFile: "tests/artifacts/publisher.log" });
  const browser = await launchChromium();
  try {
    publisher = await startPublisher();
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 800 },
    });
    const page = await context.newPage();
    const login = async (user: string, password: string) => {
      await page.goto(`${s.base}/`);
      await page.getByTestId("username").fill(user);
      await page.getByTestId("password").fill(password);
      await page.getByTestId("login-submit").click();
    };
    const frames = () =>
      page.evaluate(() =>
        (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil.framesDecoded
      );

    await t.step("a wrong password is refused", async () => {
      await login("watcher", "not-the-password");
      await page.getByTestId("login-error").filter({ hasText: /wrong|invalid/i }).waitFor({
        timeout: 10_000,
      });
    });

    await t.step("log in, open the camera, more than 60 frames decoded within 5 s", async () => {
      await login("watcher", "watcher-password-1");
      await page.locator('[data-testid="camera-e2e-cam"][data-online="true"]').waitFor({
        timeout: 10_000,
      });
      await page.getByTestId("camera-e2e-cam").locator("a").click();
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil.framesDecoded >
            0,
        null,
        { timeout: 15_000 },
      );
      const t0 = Date.now();
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil.framesDecoded >
            60,
        null,
        { timeout: 5_000 },
      );
      console.log(
        `60 frames in ${Date.now() - t0} ms after the first; ttff ${await page.evaluate(() =>
          (globalThis as unknown as { __vigil: { ttffMs: number } }).__vigil.ttffMs
        )} ms`,
      );
      await Deno.mkdir("tests/artifacts", { recursive: true });
      await page.screenshot({ path: "tests/artifacts/viewer-playing.png" });
    });

    await t.step("after a publisher restart the page recovers by itself", async () => {
      await stopProcess(publisher!);
      await page.waitForFunction(
        () => (globalThis as unknown as { __vigil: { state: string } }).__vigil.state !== "playing",
        null,
        { timeout: 15_000 },
      );
      publisher = await startPublisher();
      await page.waitForFunction(
        () => {
          const v = (globalThis as unknown as { __vigil: { state: string; framesDecoded: number } })
            .__vigil;
          return v.state === "playing" && v.framesDecoded > 30;
        },
        null,
        { timeout: 30_000 },
      );
      assert.ok(await frames() > 30);
    });

    await t.step("logout ends the session", async () => {
      await page.getByTestId("logout").click();
      await page.getByTestId("login-form").waitFor({ timeout: 10_000 });
      const status = await page.evaluate(async () =>
        (await fetch("/auth/refresh", { method: "POST" })).status
      );
      assert.equal(status, 401);
    });

    await t.step(
      "a viewer without permission cannot watch; the publisher got no offer",
      async () => {
        const before = s.ctx.audit.recent.filter((e) => e.event === "session.start").length;
        await login("stranger", "stranger-password-1");
        await page.waitForFunction(
          () =>
            (globalThis as unknown as { __vigil: { state: string } }).__vigil.state === "cameras",
          null,
          { timeout: 10_000 },
        );
        assert.equal(await page.getByTestId("camera-e2e-cam").count(), 0);
        const status = await page.evaluate(async () => {
          const r = await fetch("/auth/refresh", { method: "POST" });
          const { accessToken } = await r.json();
          const res = await fetch("/whep/e2e-cam", {
            method: "POST",
            headers: { "content-type": "application/sdp", authorization: `Bearer ${accessToken}` },
            body: "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n",
          });
          return res.status;
        });
        assert.equal(status, 403);
        assert.equal(s.ctx.audit.recent.filter((e) => e.event === "session.start").length, before);
      },
    );
    await context.close();
  } finally {
    await browser.close();
    if (publisher) await stopProcess(publisher);
    await s.stop();
    await Deno.remove(stateDir, { recursive: true });
    await Deno.remove(webDir, { recursive: true });
  }
});
