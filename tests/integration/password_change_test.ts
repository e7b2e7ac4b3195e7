/**
 * `POST /auth/password` against the real server: a wrong current password,
 * a weak or unchanged new one, no token — each refused with its code and the
 * old password still works; throttled like logins; a change signs out every
 * session of the account (access tokens and refresh cookies of the other
 * sessions and the caller's old ones) and starts a new one for the caller;
 * only the new password logs in afterwards.
 */
import assert from "node:assert/strict";
import { loginViewer, startTestServer, type TestServer } from "../helpers/server.ts";

function call(
  s: TestServer,
  path: string,
  init: { token?: string; cookie?: string; body?: unknown },
) {
  return fetch(`${s.base}${path}`, {
    method: "POST",
    client: s.client,
    headers: {
      "content-type": "application/json",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.cookie ? { cookie: init.cookie, origin: s.base } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

async function status(res: Response): Promise<[number, string]> {
  const text = await res.text();
  return [res.status, text ? (JSON.parse(text).error ?? "") : ""];
}

Deno.test("password change: checks, throttling, every session signed out, the caller kept", async (t) => {
  const s = await startTestServer();
  try {
    const a = await loginViewer(s, "alice", ["*"]);
    const login = (password: string) =>
      call(s, "/auth/login", { body: { username: "alice", password } });
    const other = await (await login(a.password)).json(); // a second session (another device)
    const change = (body: unknown, token = a.token) => call(s, "/auth/password", { token, body });

    await t.step("refusals: no token, wrong current, weak, unchanged, bad body", async () => {
      assert.deepEqual(
        await status(
          await call(s, "/auth/password", { body: { current: a.password, password: "x" } }),
        ),
        [401, "unauthorized"],
      );
      assert.deepEqual(
        await status(await change({ current: "not it", password: "a new long password" })),
        [403, "wrong_password"],
      );
      assert.deepEqual(
        await status(await change({ current: a.password, password: "short" })),
        [400, "weak_password"],
      );
      assert.deepEqual(
        await status(await change({ current: a.password, password: a.password })),
        [400, "same_password"],
      );
      assert.deepEqual(
        await status(await change({ current: a.password, password: "x".repeat(20), extra: 1 })),
        [400, "invalid_request"],
      );
      const refused = s.ctx.audit.recent.filter((e) => e.event === "password.change_refused");
      assert.equal(refused.length, 1);
      assert.ok(!JSON.stringify(refused).includes("not it"), "no password in the audit log");
      assert.equal((await login(a.password)).status, 200, "the old password still works");
    });

    const next = "correct horse battery staple";
    let mine = "";
    await t.step("a change: 200 with a new session for the caller", async () => {
      const res = await change({ current: a.password, password: next });
      assert.equal(res.status, 200, await res.clone().text());
      assert.match(res.headers.get("set-cookie") ?? "", /__Host-vigil-refresh=/);
      mine = (await res.json()).accessToken;
      const cams = await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: { authorization: `Bearer ${mine}` },
      });
      assert.equal(cams.status, 200);
      await cams.body?.cancel();
      assert.ok(
        s.ctx.audit.recent.some((e) => e.event === "password.changed" && e.user === "alice"),
      );
    });

    await t.step("every other session is signed out; only the new password logs in", async () => {
      for (const token of [a.token, other.accessToken]) {
        const res = await fetch(`${s.base}/api/cameras`, {
          client: s.client,
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 401);
        await res.body?.cancel();
      }
      const refresh = await call(s, "/auth/refresh", { cookie: a.cookie });
      assert.equal(refresh.status, 401);
      await refresh.body?.cancel();
      assert.equal((await login(a.password)).status, 401);
      assert.equal((await login(next)).status, 200);
    });

    await t.step("wrong current passwords are throttled like logins", async () => {
      let last = 0;
      for (let i = 0; i < 12 && last !== 429; i++) {
        last =
          (await status(await change({ current: "guess", password: "a new long password" }, mine)))[
            0
          ];
      }
      assert.equal(last, 429);
      s.ctx.throttles.loginAddress.succeed("127.0.0.1");
      s.ctx.throttles.loginUser.succeed("alice");
    });
  } finally {
    await s.stop();
  }
});
