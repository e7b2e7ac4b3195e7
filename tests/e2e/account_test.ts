/**
 * The account page's password change in headless Chromium: alice is signed
 * in on two browsers; on one she changes her password (a wrong current one
 * is refused on the page), the other is signed out by itself, and the new
 * password signs in.
 */
import assert from "node:assert/strict";
import { buildWeb } from "../../subscriber-web/build.ts";
import { loginViewer, startTestServer } from "../helpers/server.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";

Deno.test({
  name: "account page: change the password; the other browser is signed out",
  ignore: ignoreWithout(CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ webDir });
  const alice = await loginViewer(s, "alice", ["*"]);
  const browser = await launchChromium();
  try {
    const signIn = async (password: string) => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      await page.goto(`${s.base}/`);
      await page.getByTestId("username").fill("alice");
      await page.getByTestId("password").fill(password);
      await page.getByTestId("login-submit").click();
      await page.getByTestId("camera-list").waitFor({ state: "attached", timeout: 10_000 });
      return page;
    };
    const laptop = await signIn(alice.password);
    const phone = await signIn(alice.password);
    const next = "a much longer new password";

    await t.step("a wrong current password is refused on the page", async () => {
      await laptop.getByTestId("account-link").click();
      await laptop.getByTestId("current-password").fill("not my password");
      await laptop.getByTestId("new-password").fill(next);
      await laptop.getByTestId("password-submit").click();
      await laptop.getByTestId("password-status").getByText("current password is wrong").waitFor({
        timeout: 10_000,
      });
    });

    await t.step("changed: this browser stays, the other is signed out by itself", async () => {
      await laptop.getByTestId("current-password").fill(alice.password);
      await laptop.getByTestId("new-password").fill(next);
      await laptop.getByTestId("password-submit").click();
      await laptop.getByTestId("password-status").getByText("Password changed").waitFor({
        timeout: 10_000,
      });
      // Still signed in here: the page's next API call works with the new session.
      await laptop.evaluate(() => location.hash = "#/");
      await laptop.getByTestId("camera-list").waitFor({ state: "attached", timeout: 10_000 });
      assert.equal(await laptop.getByTestId("login-form").count(), 0);
      // The phone's live presence stream ends with its session; the app returns to sign-in.
      await phone.getByTestId("login-error").getByText("session has ended").waitFor({
        timeout: 15_000,
      });
    });

    await t.step("the new password signs in, the old one does not", async () => {
      await phone.getByTestId("username").fill("alice");
      await phone.getByTestId("password").fill(alice.password);
      await phone.getByTestId("login-submit").click();
      await phone.getByTestId("login-error").getByText("Wrong username or password").waitFor();
      await phone.getByTestId("password").fill(next);
      await phone.getByTestId("login-submit").click();
      await phone.getByTestId("camera-list").waitFor({ state: "attached", timeout: 10_000 });
    });
  } finally {
    await browser.close();
    await s.stop();
    await Deno.remove(webDir, { recursive: true });
  }
});
