/**
 * Passkeys in headless Chromium with a CDP virtual authenticator (ctap2,
 * internal, resident keys, user verification) against the real server: a
 * viewer registers a passkey while logged in, logs in with it and gets an
 * access token whose `amr` names it; a replayed assertion, one for another
 * origin or RP ID, and another account's passkey for this account are
 * refused; with --admin-require-passkey an admin's password login gets 403
 * on /api/admin and a passkey login 200.
 */
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { buildWeb } from "../../subscriber-web/build.ts";
import { loginViewer, startTestServer } from "../helpers/server.ts";
import {
  addVirtualAuthenticator,
  CHROMIUM,
  launchChromium,
  trustServerCertificate,
} from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";

/** Runs one ceremony in the page: options from `optionsPath`, the authenticator, the JSON credential. */
const CEREMONY = async (
  [kind, optionsPath, token, username]: [string, string, string, string | null],
) => {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(optionsPath, {
    method: "POST",
    headers,
    body: JSON.stringify(username ? { username } : {}),
  });
  const { flow, options } = await res.json();
  const PKC = PublicKeyCredential as unknown as {
    parseCreationOptionsFromJSON(o: unknown): PublicKeyCredentialCreationOptions;
    parseRequestOptionsFromJSON(o: unknown): PublicKeyCredentialRequestOptions;
  };
  const cred = kind === "register"
    ? await navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(options) })
    : await navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) });
  return { flow, credential: (cred as unknown as { toJSON(): unknown }).toJSON() };
};

Deno.test({
  name:
    "passkeys in Chromium: register, log in (amr hwk), replay/origin/RP ID/other account refused, admin needs a passkey",
  ignore: ignoreWithout(CHROMIUM),
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  await buildWeb({ outDir: webDir, minify: true });
  const s = await startTestServer({ adminRequirePasskey: true, webDir });
  const alice = await loginViewer(s, "alice", ["*"], true);
  const bob = await loginViewer(s, "bob", []);
  const browser = await launchChromium(await trustServerCertificate(s.publicPort));
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${s.base}/`);
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${s.base}${path}`, {
        method: "POST",
        client: s.client,
        headers: {
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const admin = (token: string) =>
      fetch(`${s.base}/api/admin/users`, {
        client: s.client,
        headers: { authorization: `Bearer ${token}` },
      });

    await t.step("a password-logged admin gets 403 under --admin-require-passkey", async () => {
      const res = await admin(alice.token);
      assert.equal(res.status, 403);
      assert.match(JSON.stringify(await res.json()), /passkey/);
    });

    await t.step("alice registers a passkey (Bearer); it is listed", async () => {
      const r = await page.evaluate(CEREMONY, [
        "register",
        "/auth/passkeys/register/options",
        alice.token,
        null,
      ] as [string, string, string, string | null]);
      const res = await post("/auth/passkeys/register/verify", r, alice.token);
      assert.equal(res.status, 201, await res.clone().text());
      const list = await (await fetch(`${s.base}/auth/passkeys/list`, {
        client: s.client,
        headers: { authorization: `Bearer ${alice.token}` },
      })).json();
      assert.equal(list.passkeys.length, 1);
      assert.ok(s.ctx.audit.recent.some((e) => e.event === "passkey.registered"));
      const unauth = await post("/auth/passkeys/register/options", {});
      assert.equal(unauth.status, 401, "registering needs a Bearer token");
    });

    let assertion: { flow: string; credential: unknown } | undefined;
    await t.step("she logs in with it: cookie + access token with amr hwk; admin 200", async () => {
      assertion = await page.evaluate(CEREMONY, [
        "login",
        "/auth/passkeys/login/options",
        "",
        null,
      ] as [string, string, string, string | null]);
      const res = await post("/auth/passkeys/login/verify", assertion);
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(res.headers.get("set-cookie") ?? "", /__Host-vigil-refresh=/);
      const body = await res.json();
      assert.equal(body.username, "alice");
      const claims = decodeJwt(body.accessToken);
      assert.deepEqual(claims.amr, ["hwk", "mfa", "user"], "the authenticator verified her");
      assert.equal((await admin(body.accessToken)).status, 200);
    });

    await t.step("the same assertion replayed is refused", async () => {
      const res = await post("/auth/passkeys/login/verify", assertion);
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });

    const fresh = () =>
      page.evaluate(CEREMONY, ["login", "/auth/passkeys/login/options", "", null] as [
        string,
        string,
        string,
        string | null,
      ]);
    type Cred = { response: { clientDataJSON: string; authenticatorData: string } };
    const b64 = (s: string) => atob(s.replaceAll("-", "+").replaceAll("_", "/"));
    const unb64 = (bin: string) =>
      btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

    await t.step("an assertion made for another origin is refused", async () => {
      const a = await fresh();
      const cred = a.credential as Cred;
      const data = JSON.parse(b64(cred.response.clientDataJSON));
      data.origin = "https://evil.example";
      cred.response.clientDataJSON = unb64(JSON.stringify(data));
      const res = await post("/auth/passkeys/login/verify", a);
      assert.equal(res.status, 401);
      await res.body?.cancel();
      const last = s.ctx.audit.recent.filter((e) => e.event === "login.failure").at(-1);
      assert.match(String(last?.reason), /origin/i);
    });

    await t.step("an assertion for another RP ID is refused", async () => {
      const a = await fresh();
      const cred = a.credential as Cred;
      const bin = b64(cred.response.authenticatorData);
      const other = new Uint8Array(
        await crypto.subtle.digest("SHA-256", new TextEncoder().encode("evil.example")),
      );
      cred.response.authenticatorData = unb64(String.fromCharCode(...other) + bin.slice(32));
      const res = await post("/auth/passkeys/login/verify", a);
      assert.equal(res.status, 401);
      await res.body?.cancel();
      const last = s.ctx.audit.recent.filter((e) => e.event === "login.failure").at(-1);
      assert.match(String(last?.reason), /rp ?id/i);
    });

    await t.step("bob's passkey cannot log in as alice", async () => {
      const r = await page.evaluate(CEREMONY, [
        "register",
        "/auth/passkeys/register/options",
        bob.token,
        null,
      ] as [string, string, string, string | null]);
      assert.equal((await post("/auth/passkeys/register/verify", r, bob.token)).status, 201);
      // The login is bound to alice; only bob's credential signs (alice's is removed here).
      await cdp.send("WebAuthn.removeCredential", {
        authenticatorId,
        credentialId: (await cdp.send("WebAuthn.getCredentials", { authenticatorId }))
          .credentials.find((c) => c.userName === "alice")!.credentialId,
      });
      const forAlice = await post("/auth/passkeys/login/options", { username: "alice" });
      const { flow } = await forAlice.json();
      const bobs = await fresh();
      const res = await post("/auth/passkeys/login/verify", { ...bobs, flow });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      const last = s.ctx.audit.recent.filter((e) => e.event === "login.failure").at(-1);
      assert.equal(last?.reason, "credential of another account");
    });
  } finally {
    await browser.close();
    await s.stop();
    await Deno.remove(webDir, { recursive: true });
  }
});
