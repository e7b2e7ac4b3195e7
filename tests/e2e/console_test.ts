/**
 * The operator console in headless Chromium against the real server: an
 * admin adds a device and sees its token, enroll command and QR code; the
 * device enrolls with the token shown (nothing is scanned) and comes online
 * with its certificate expiry; the admin sees who is viewing, ends the
 * session, revokes the device and sees it offline within a second. A viewer
 * without the role sees no console link and a notice at #/admin (its API
 * calls answer 403). Writes tests/artifacts/console.png (docs/console.png).
 */
import assert from "node:assert/strict";
import { buildWeb } from "../../subscriber-web/build.ts";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollWithToken, loginViewer, startTestServer } from "../helpers/server.ts";
import { userAdd } from "../../signaling/admin/commands.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";

Deno.test({
  name: "console in Chromium: add, enroll, online, viewers, end, revoke; no console for viewers",
  ignore: ignoreWithout(CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir });
  await userAdd(s.target, {
    name: "root",
    password: "root-password-123",
    cameras: ["*"],
    admin: true,
  });
  const alice = await loginViewer(s, "alice", ["porch"]);
  const browser = await launchChromium();
  const closers: (() => unknown)[] = [];
  try {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 1000 },
    });
    const page = await context.newPage();
    page.on("dialog", (d) => d.accept());
    const login = async (user: string, password: string) => {
      await page.goto(`${s.base}/`);
      await page.getByTestId("username").fill(user);
      await page.getByTestId("password").fill(password);
      await page.getByTestId("login-submit").click();
    };

    let token = "";
    await t.step("the admin opens the console and adds a device: token, command, QR", async () => {
      await login("root", "root-password-123");
      await page.getByTestId("console-link").click();
      await page.getByTestId("devices").waitFor({ timeout: 10_000 });
      await page.getByTestId("device-id").fill("porch");
      await page.getByTestId("device-label").fill("Porch");
      await page.getByTestId("device-add").click();
      const command = await page.getByTestId("enroll-command").textContent({ timeout: 10_000 });
      token = (await page.getByTestId("enroll-token").textContent()) ?? "";
      assert.match(token, /^vet/);
      assert.ok(command?.startsWith(`deno task enroll --server ${s.base} --ca-fingerprint `));
      assert.ok(command?.endsWith(`--token ${token}`));
      const qr = page.getByTestId("enroll-qr");
      const box = await qr.boundingBox();
      assert.ok(box && box.width > 100, "the QR code is shown");
      assert.ok(
        await qr.evaluate((img) => (img as HTMLImageElement).naturalWidth > 0),
        "the QR image decoded (allowed by the CSP)",
      );
      await page.locator('[data-testid="device-row-porch"][data-state="awaiting enrollment"]')
        .waitFor();
    });

    let pub: Awaited<ReturnType<typeof connectPublisher>>;
    await t.step(
      "enrolled with the token shown, it comes online with its certificate expiry",
      async () => {
        const dev = await enrollWithToken(s, "porch", token);
        closers.push(() => dev.client.close());
        pub = await connectPublisher(dev, "Porch");
        closers.push(() => pub.close());
        const row = page.locator('[data-testid="device-row-porch"][data-online="true"]');
        await row.waitFor({ timeout: 10_000 });
        const expires = await row.getByTestId("cert-expires").textContent();
        assert.match(expires ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      },
    );

    await t.step("who is viewing; the admin ends the session", async () => {
      const res = await fetch(`${s.base}/whep/porch`, {
        method: "POST",
        client: s.client,
        headers: { "content-type": "application/sdp", authorization: `Bearer ${alice.token}` },
        body: RECVONLY_OFFER,
      });
      assert.equal(res.status, 201, await res.text());
      const row = page.locator('[data-testid="session-row"][data-viewer="alice"]');
      await row.waitFor({ timeout: 5_000 });
      assert.match((await row.textContent()) ?? "", /porch.*127\.0\.0\.1.*direct/);
      // docs/console.png is a copy of this picture.
      await Deno.mkdir("tests/artifacts", { recursive: true });
      await page.screenshot({ path: "tests/artifacts/console.png", fullPage: true });
      await row.getByTestId("end-session").click();
      await row.waitFor({ state: "detached", timeout: 5_000 });
      await pub.waitFor((m) => m.type === "close");
      assert.equal(s.ctx.viewing.size, 0);
    });

    await t.step("revoke: offline within a second", async () => {
      await page.getByTestId("revoke-porch").click();
      const t0 = Date.now();
      await page.locator(
        '[data-testid="device-row-porch"][data-online="false"][data-state="revoked"]',
      )
        .waitFor({ timeout: 1_000 });
      console.log(`revoked device shown offline ${Date.now() - t0} ms after the click`);
      const audit = page.getByTestId("audit");
      await audit.getByText("admin.device_revoked").first().waitFor({ timeout: 5_000 });
    });

    await t.step("a viewer without the role: no console link, a notice at #/admin", async () => {
      const ctx2 = await browser.newContext({ ignoreHTTPSErrors: true });
      const p2 = await ctx2.newPage();
      const forbidden: number[] = [];
      p2.on("response", (r) => {
        if (r.url().includes("/api/admin/")) forbidden.push(r.status());
      });
      await p2.goto(`${s.base}/`);
      await p2.getByTestId("username").fill("alice");
      await p2.getByTestId("password").fill(alice.password);
      await p2.getByTestId("login-submit").click();
      await p2.getByTestId("camera-list").waitFor({ state: "attached", timeout: 10_000 });
      assert.equal(await p2.getByTestId("console-link").count(), 0);
      await p2.evaluate(() => location.hash = "#/admin");
      await p2.getByTestId("admin-denied").waitFor({ timeout: 10_000 });
      assert.ok(forbidden.length > 0 && forbidden.every((st) => st === 403), forbidden.join());
      assert.equal(await p2.getByTestId("device-row-porch").count(), 0);
      await ctx2.close();
    });
  } finally {
    for (const f of closers.reverse()) await f();
    await browser.close();
    await s.stop();
    await Deno.remove(webDir, { recursive: true });
  }
});
