/**
 * The operator console in headless Chromium against the real server started
 * with --admin-require-passkey, all through the app's own pages: an admin
 * signed in with a password is sent to add a passkey (a CDP virtual
 * authenticator), signs out, signs in with the passkey, adds a device and
 * sees its token, enroll command and QR code; the
 * device enrolls with the token shown (nothing is scanned) and comes online
 * with its certificate expiry; the admin sees who is viewing, ends the
 * session, revokes the device and sees it offline within a second. A viewer
 * without the role sees no console link and a notice at #/admin (its API
 * calls answer 403). At the end the admin removes the passkey on the account
 * page: the session signed in with it ends and a sign-in with it is refused. Writes tests/artifacts/console.png
 * (docs/console.png).
 */
import assert from "node:assert/strict";
import { buildWeb } from "../../subscriber-web/build.ts";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollWithToken, loginViewer, startTestServer } from "../helpers/server.ts";
import { userAdd } from "../../signaling/admin/commands.ts";
import {
  addVirtualAuthenticator,
  CHROMIUM,
  launchChromium,
  trustServerCertificate,
} from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";

Deno.test({
  name:
    "console in Chromium: passkey sign-in, add, enroll, online, viewers, end, revoke; no console for viewers; passkey removed",
  ignore: ignoreWithout(CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir, adminRequirePasskey: true });
  await userAdd(s.target, {
    name: "root",
    password: "root-password-123",
    cameras: ["*"],
    admin: true,
  });
  const alice = await loginViewer(s, "alice", ["porch"]);
  const browser = await launchChromium(await trustServerCertificate(s.publicPort));
  const closers: (() => unknown)[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.on("dialog", (d) => d.accept());
    await page.goto(`${s.base}/`);
    await addVirtualAuthenticator(context, page);
    // On a timeout the error names what the login page said.
    const cameraList = () =>
      page.getByTestId("camera-list").waitFor({ state: "attached", timeout: 10_000 }).catch(
        async (e) => {
          const said = await page.getByTestId("login-error").textContent().catch(() => null);
          throw new Error(`no camera list (login page: ${JSON.stringify(said)}): ${e}`);
        },
      );
    const signOut = async () => {
      await page.getByTestId("logout").click();
      await page.getByTestId("login-form").waitFor({ timeout: 10_000 });
    };

    await t.step("signed in with a password, the admin is sent to add a passkey", async () => {
      await page.getByTestId("username").fill("root");
      await page.getByTestId("password").fill("root-password-123");
      await page.getByTestId("login-submit").click();
      await cameraList();
      await page.getByTestId("console-link").click();
      const notice = page.getByTestId("admin-needs-passkey");
      await notice.waitFor({ timeout: 10_000 });
      assert.equal(await page.getByTestId("devices").count(), 0, "no console without a passkey");
      await notice.getByRole("link", { name: "Add a passkey" }).click();
      await page.getByTestId("account-who").getByText("with a password").waitFor();
      await page.getByTestId("passkey-none").waitFor();
      await page.getByTestId("passkey-add").click();
      await page.getByTestId("account-status").getByText("Passkey added").waitFor({
        timeout: 10_000,
      });
      await page.getByTestId("passkey-row").waitFor();
      assert.equal(await page.getByTestId("passkey-row").count(), 1);
      assert.ok(s.ctx.audit.recent.some((e) => e.event === "passkey.registered"));
    });

    await t.step("signed out, the admin signs in with the passkey (no password)", async () => {
      await signOut();
      await page.getByTestId("login-passkey").click();
      await cameraList();
      assert.ok(
        s.ctx.audit.recent.some((e) =>
          e.event === "login.success" && e.method === "passkey" && e.user === "root"
        ),
        "the server logged a passkey login for root",
      );
      await page.getByTestId("account-link").click();
      await page.getByTestId("account-who").getByText("root with a passkey").waitFor();
      assert.match(
        (await page.getByTestId("passkey-row").textContent()) ?? "",
        /last used (?!never)/,
        "the row shows the passkey was just used",
      );
      // docs/account-passkeys.png is a copy of this picture.
      await Deno.mkdir("tests/artifacts", { recursive: true });
      await page.screenshot({
        path: "tests/artifacts/account-passkeys.png",
        clip: { x: 0, y: 0, width: 1280, height: 420 },
      });
    });

    let token = "";
    await t.step("the admin opens the console and adds a device: token, command, QR", async () => {
      // Stored footage (index rows, as an upload leaves them) shows with the retention.
      for (const [segment, at] of [["a", 0], ["b", 20_000]] as const) {
        await s.ctx.store.recordings.add({
          camera: "porch",
          segment,
          startMs: Date.now() - 60_000 + at,
          endMs: Date.now() - 40_000 + at,
          bytes: 3 * 2 ** 20,
          sha256: "00".repeat(32),
          storedAt: Date.now(),
        });
      }
      await page.evaluate(() => location.hash = "#/");
      await cameraList();
      await page.getByTestId("console-link").click();
      await page.getByTestId("devices").waitFor({ timeout: 10_000 });
      const footage = page.getByTestId("footage-row-porch");
      await footage.waitFor({ timeout: 5_000 });
      assert.match((await footage.textContent()) ?? "", /^porch26 MiB/);
      assert.match(
        (await page.getByTestId("footage-summary").textContent()) ?? "",
        /^Kept 30 days or up to 20 GiB, whichever ends first .*stored now: 6 MiB \(0 %\)\.$/,
      );
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
      assert.match((await row.textContent()) ?? "", new RegExp(`direct${s.ctx.nodeId}End`));
      // The publisher's stats report (every 5 s) shows in the device's row.
      pub.send({
        type: "stats",
        viewers: 1,
        bitrateBps: 2.1e6,
        fps: 30,
        packetsLost: 0,
        cpuSeconds: 3,
        rssBytes: 80 * 2 ** 20,
      });
      await page.getByTestId("device-row-porch").getByTestId("stream")
        .getByText("2.1 Mbit/s · 30 fps · 1 viewer · 0 lost").waitFor({ timeout: 5_000 });
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

    await t.step(
      "removing the passkey ends the session made with it; it signs in no more",
      async () => {
        await page.getByTestId("account-link").click();
        await page.getByTestId("passkey-row").waitFor({ timeout: 10_000 });
        await page.getByTestId("passkey-remove").click(); // the confirmation is accepted
        // This session was signed in with it: the server revoked it, the app is back at sign-in.
        await page.getByTestId("login-error").getByText("session has ended").waitFor({
          timeout: 10_000,
        });
        const removed = s.ctx.audit.recent.find((e) => e.event === "passkey.removed");
        assert.equal(removed?.sessionsEnded, 1, JSON.stringify(removed));
        // The authenticator still holds the credential; the server no longer knows it.
        await page.getByTestId("login-passkey").click();
        await page.getByTestId("login-error").getByText("This passkey was not accepted").waitFor({
          timeout: 10_000,
        });
        assert.equal(await page.getByTestId("camera-list").count(), 0);
        assert.ok(
          s.ctx.audit.recent.some((e) =>
            e.event === "login.failure" && e.method === "passkey" &&
            e.reason === "unknown credential"
          ),
        );
      },
    );
  } finally {
    for (const f of closers.reverse()) await f();
    await browser.close();
    await s.stop();
    await Deno.remove(webDir, { recursive: true });
  }
});
