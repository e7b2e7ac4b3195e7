/**
 * Abuse limits: enrollment-token guessing and login brute force are
 * throttled (429 + Retry-After) per address and per account, and a throttled
 * client learns nothing even with the right secret; passkey ceremonies
 * started and not finished are throttled per address; per-viewer WHEP
 * session limits.
 *
 * One enrollment token under 50 concurrent uses gives exactly one
 * certificate: covered by tests/integration/enrollment_test.ts, test
 * "a token works exactly once under 50 concurrent attempts" (not duplicated).
 */
import assert from "node:assert/strict";
import { addDevice, userAdd } from "../../signaling/admin/commands.ts";
import { createCsr, generateDeviceKey } from "../../pki/mod.ts";
import { enrollDevice, loginViewer, startTestServer, type TestServer } from "../helpers/server.ts";
import { auditSince, ScriptedPublisher, VALID_OFFER } from "./helpers.ts";
import { SoftAuthenticator } from "../helpers/soft_authenticator.ts";

async function post(s: TestServer, path: string, body: unknown, headers: HeadersInit = {}) {
  const res = await fetch(`${s.base}${path}`, {
    method: "POST",
    client: s.client,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const json = await res.json().catch(() => null);
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: json };
}

Deno.test("abuse: enrollment-token guessing is throttled per address", async (t) => {
  const s = await startTestServer();
  try {
    const real = await addDevice(s.dataDir, { id: "cam-g", ttlMs: 60_000, serverUrl: s.base });
    const csr = await createCsr(await generateDeviceKey(), "cam-g");
    const guess = () => `vet_${crypto.randomUUID().replaceAll("-", "")}`;

    await t.step(
      "5 free failures, the 6th starts a lock, the 7th gets 429 + Retry-After",
      async () => {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          statuses.push((await post(s, "/enroll", { token: guess(), csr })).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
        const from = s.ctx.audit.recent.length;
        const r = await post(s, "/enroll", { token: guess(), csr });
        assert.equal(r.status, 429);
        assert.ok(Number(r.retryAfter) >= 1, `Retry-After: ${r.retryAfter}`);
        assert.equal(auditSince(s, from, "enroll.throttled").length, 1);
      },
    );

    await t.step(
      "while locked, even the real token is refused (no oracle) and stays unused",
      async () => {
        const r = await post(s, "/enroll", { token: real.token, csr });
        assert.equal(r.status, 429);
        // the lock is per address and ends; the token was not consumed
        s.ctx.throttles.enrollAddress.succeed("127.0.0.1");
        assert.equal((await post(s, "/enroll", { token: real.token, csr })).status, 201);
      },
    );
  } finally {
    await s.stop();
  }
});

Deno.test("abuse: login brute force is throttled per account and per address", async (t) => {
  const s = await startTestServer();
  try {
    await userAdd(s.dataDir, { name: "victim", password: "correct horse 12", cameras: ["*"] });

    await t.step("per account: 6 wrong passwords, then 429 + Retry-After", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(
          (await post(s, "/auth/login", { username: "victim", password: `guess-${i}` })).status,
        );
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
      const r = await post(s, "/auth/login", { username: "victim", password: "guess-7" });
      assert.equal(r.status, 429);
      assert.ok(Number(r.retryAfter) >= 1);
    });

    await t.step(
      "while throttled the right password gets 429 too, also as VICTIM (case folded)",
      async () => {
        assert.equal(
          (await post(s, "/auth/login", { username: "victim", password: "correct horse 12" }))
            .status,
          429,
        );
        assert.equal(
          (await post(s, "/auth/login", { username: "VICTIM", password: "correct horse 12" }))
            .status,
          429,
        );
      },
    );

    await t.step(
      "per address: 21 failures over different accounts, then 429 for anyone",
      async () => {
        // 6 failures already counted for this address above
        const statuses: number[] = [];
        for (let i = 0; i < 15; i++) {
          statuses.push(
            (await post(s, "/auth/login", { username: `nobody-${i}`, password: "x" })).status,
          );
        }
        assert.ok(statuses.every((x) => x === 401), JSON.stringify(statuses));
        const r = await post(s, "/auth/login", { username: "someone-else", password: "x" });
        assert.equal(r.status, 429);
        assert.ok(Number(r.retryAfter) >= 1);
        assert.ok(auditSince(s, 0, "login.throttled").length >= 2);
      },
    );
  } finally {
    await s.stop();
  }
});

Deno.test("abuse: unfinished passkey ceremonies are throttled per address; a finished one clears it", async () => {
  const s = await startTestServer();
  try {
    const v = await loginViewer(s, "ceremonies", []);
    const options = () => post(s, "/auth/passkeys/login/options", {});
    let passed = 0;
    let last = await options();
    while (last.status === 200 && passed < 100) {
      passed++;
      last = await options();
    }
    assert.equal(passed, 31, "30 free, the 31st starts the wait");
    assert.equal(last.status, 429);
    assert.ok(Number(last.retryAfter) >= 1);
    assert.equal(auditSince(s, 0, "passkey.throttled").length, 1);
    const register = await post(s, "/auth/passkeys/register/options", {}, {
      authorization: `Bearer ${v.token}`,
    });
    assert.equal(register.status, 429, "registration counts too");
    // After the wait, a ceremony carried through clears the address's count.
    await new Promise((r) => setTimeout(r, Number(last.retryAfter) * 1000 + 100));
    const key = new SoftAuthenticator({ rpId: "localhost", origin: s.base, userVerified: true });
    const started = await post(s, "/auth/passkeys/register/options", {}, {
      authorization: `Bearer ${v.token}`,
    });
    assert.equal(started.status, 200);
    const done = await post(s, "/auth/passkeys/register/verify", {
      flow: started.body.flow,
      credential: await key.register(started.body.options),
    }, { authorization: `Bearer ${v.token}` });
    assert.equal(done.status, 201, JSON.stringify(done.body));
    for (let i = 0; i < 30; i++) assert.equal((await options()).status, 200);
  } finally {
    await s.stop();
  }
});

Deno.test("abuse: a viewer cannot open unbounded WHEP sessions", async () => {
  const s = await startTestServer({ maxSessionsPerViewer: 2 });
  const dev = await enrollDevice(s, "cam-s");
  const pub = await ScriptedPublisher.connect(dev);
  try {
    const v = await loginViewer(s, "greedy", ["cam-s"]);
    const offer = () =>
      fetch(`${s.base}/whep/cam-s`, {
        method: "POST",
        client: s.client,
        headers: { authorization: `Bearer ${v.token}`, "content-type": "application/sdp" },
        body: VALID_OFFER,
        signal: AbortSignal.timeout(5000),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await offer();
      statuses.push(r.status);
      if (r.status === 429) assert.ok(Number(r.headers.get("retry-after")) >= 1);
      await r.body?.cancel();
    }
    assert.deepEqual(statuses, [201, 201, 429]);
    assert.equal(pub.offers().length, 2, "the refused session never reached the publisher");
  } finally {
    await pub.close();
    dev.client.close();
    await s.stop();
  }
});
