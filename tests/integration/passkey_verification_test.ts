/**
 * Passkey checks Chromium's virtual authenticator cannot reach, with a
 * software authenticator (tests/helpers/soft_authenticator.ts) against the
 * real server under --admin-require-passkey: a touch-only key (user present,
 * not verified) signs in without `mfa` and is refused by the console; a
 * verifying one gets `["hwk","mfa","user"]` and the console; an assertion
 * whose signature counter did not grow (a cloned authenticator) and one whose
 * flags were changed after signing are refused (WebAuthn L3 §7.2 steps 21–22).
 */
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { loginViewer, startTestServer } from "../helpers/server.ts";
import { SoftAuthenticator } from "../helpers/soft_authenticator.ts";

Deno.test("passkeys: user verification decides mfa and the console; counters and flags are checked", async (t) => {
  const s = await startTestServer({ adminRequirePasskey: true });
  try {
    const root = await loginViewer(s, "root", ["*"], true);
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
    const register = async (key: SoftAuthenticator) => {
      const { flow, options } =
        await (await post("/auth/passkeys/register/options", {}, root.token))
          .json();
      const res = await post("/auth/passkeys/register/verify", {
        flow,
        credential: await key.register(options),
      }, root.token);
      assert.equal(res.status, 201, await res.clone().text());
      await res.body?.cancel();
    };
    const login = async (key: SoftAuthenticator, o: { keepCounter?: boolean } = {}) => {
      const { flow, options } = await (await post("/auth/passkeys/login/options", {})).json();
      return await post("/auth/passkeys/login/verify", {
        flow,
        credential: await key.authenticate(options, o),
      });
    };
    const console = async (token: string) => {
      const res = await fetch(`${s.base}/api/admin/users`, {
        client: s.client,
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: await res.json() };
    };
    const where = { rpId: "localhost", origin: s.base };

    await t.step("a touch-only key: signed in without mfa, the console refuses", async () => {
      const key = new SoftAuthenticator({ ...where, userVerified: false });
      await register(key);
      const res = await login(key);
      assert.equal(res.status, 200, await res.clone().text());
      const { accessToken, amr } = await res.json();
      assert.deepEqual(decodeJwt(accessToken).amr, ["hwk", "user"]);
      assert.deepEqual(amr, ["hwk", "user"]);
      const refused = await console(accessToken);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, "passkey_required");
      const ok = s.ctx.audit.recent.filter((e) => e.event === "login.success").at(-1);
      assert.equal(ok?.verified, false);
    });

    const key = new SoftAuthenticator({ ...where, userVerified: true });
    await t.step("a verifying key: amr hwk+mfa+user, the console answers", async () => {
      await register(key);
      const res = await login(key);
      assert.equal(res.status, 200, await res.clone().text());
      const { accessToken } = await res.json();
      assert.deepEqual(decodeJwt(accessToken).amr, ["hwk", "mfa", "user"]);
      assert.equal((await console(accessToken)).status, 200);
    });

    await t.step("a counter that did not grow (a cloned key) is refused", async () => {
      const res = await login(key, { keepCounter: true });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      const last = s.ctx.audit.recent.filter((e) => e.event === "login.failure").at(-1);
      assert.match(String(last?.reason), /counter/i);
      s.ctx.throttles.loginAddress.succeed("127.0.0.1");
    });

    await t.step("flags changed after signing (UV set on a touch) are refused", async () => {
      const touch = new SoftAuthenticator({ ...where, userVerified: false });
      await register(touch);
      const { flow, options } = await (await post("/auth/passkeys/login/options", {})).json();
      const credential = await touch.authenticate(options);
      const data = Uint8Array.from(
        atob(credential.response.authenticatorData.replaceAll("-", "+").replaceAll("_", "/")),
        (c) => c.charCodeAt(0),
      );
      data[32] |= 0x04; // UV
      credential.response.authenticatorData = btoa(String.fromCharCode(...data))
        .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
      const res = await post("/auth/passkeys/login/verify", { flow, credential });
      assert.equal(res.status, 401);
      await res.body?.cancel();
      const last = s.ctx.audit.recent.filter((e) => e.event === "login.failure").at(-1);
      // The library answers verified: false when the signature does not cover these bytes.
      assert.match(String(last?.reason), /not verified|signature/i, JSON.stringify(last));
    });
  } finally {
    await s.stop();
  }
});
