/**
 * The admin API against a real server: a viewer without the role is refused
 * (403) on every route; an admin adds a device, the device enrolls with the
 * token shown and comes online with its certificate expiry and version, the
 * admin sees who watches, ends the session, manages users and revokes the
 * device, which goes offline at once. Every action is in the audit log.
 */
import assert from "node:assert/strict";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollWithToken, loginViewer, startTestServer } from "../helpers/server.ts";
import { waitUntil } from "../helpers/wait.ts";

/** Every admin route, as [method, path, body]. */
const ROUTES: [string, string, unknown?][] = [
  ["GET", "/api/admin/devices"],
  ["POST", "/api/admin/devices", { id: "x" }],
  ["DELETE", "/api/admin/devices/door"],
  ["GET", "/api/admin/users"],
  ["POST", "/api/admin/users", { name: "z", password: "correct horse battery", cameras: [] }],
  ["PATCH", "/api/admin/users/alice", { admin: true }],
  ["POST", "/api/admin/users/alice/password", { password: "correct horse battery" }],
  ["DELETE", "/api/admin/users/alice"],
  ["GET", "/api/admin/sessions"],
  ["DELETE", "/api/admin/sessions/00000000-0000-4000-8000-000000000000"],
  ["GET", "/api/admin/audit"],
  ["GET", "/api/admin/recordings"],
];

Deno.test("admin API: roles, devices, sessions, users, audit", async (t) => {
  const s = await startTestServer();
  const root = await loginViewer(s, "root", ["*"], true);
  const alice = await loginViewer(s, "alice", ["door"]);
  const call = (method: string, path: string, token: string | null, body?: unknown) =>
    fetch(`${s.base}${path}`, {
      method,
      client: s.client,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  const json = async (res: Response, status: number) => {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return text ? JSON.parse(text) : null;
  };
  const cleanups: (() => unknown)[] = [];
  try {
    await t.step("the login says the role; the token carries role and amr", () => {
      const [, payload] = root.token.split(".");
      const claims = JSON.parse(atob(payload.replaceAll("-", "+").replaceAll("_", "/")));
      assert.equal(claims.role, "admin");
      assert.deepEqual(claims.amr, ["pwd"]);
      const [, p2] = alice.token.split(".");
      assert.equal(JSON.parse(atob(p2.replaceAll("-", "+").replaceAll("_", "/"))).role, "viewer");
    });

    await t.step(
      "a viewer without the role gets 403 on every admin route, nothing changes",
      async () => {
        for (const [method, path, body] of ROUTES) {
          const res = await call(method, path, alice.token, body);
          const b = await json(res, 403);
          assert.equal(b.error, "forbidden", `${method} ${path}`);
          assert.match(b.message, /admin role/);
          assert.equal((await call(method, path, null, body)).status, 401, `${method} ${path}`);
        }
        assert.equal((await s.ctx.store.users.find("alice"))?.role, "viewer");
        assert.equal(await s.ctx.store.devices.exists("x"), false);
        const refused = s.ctx.audit.recent.filter((e) => e.event === "admin.refused");
        assert.equal(refused.length, ROUTES.length);
        assert.equal(refused[0].user, "alice");
      },
    );

    let token = "";
    await t.step(
      "add a device: one-time token, exact enroll command, bad input refused",
      async () => {
        const added = await json(
          await call("POST", "/api/admin/devices", root.token, { id: "door", label: "Door" }),
          201,
        );
        token = added.token;
        assert.match(token, /^vet/);
        assert.equal(added.serverUrl, s.base);
        assert.equal(
          added.command,
          `deno task enroll --server ${s.base} --ca-fingerprint ${
            s.caFingerprint.replaceAll(":", "")
          } --token ${token}`,
        );
        const bad = await json(
          await call("POST", "/api/admin/devices", root.token, { id: "../x" }),
          400,
        );
        assert.match(bad.message, /^id: a device id is/);
        await json(
          await call("POST", "/api/admin/devices", root.token, { id: "a", extra: 1 }),
          400,
        );
        const log = await Deno.readTextFile(`${s.dataDir}/audit.log`);
        assert.match(log, /"event":"admin.device_added".*"admin":"root".*"device":"door"/);
        assert.ok(!log.includes(token), "the token is not logged");
      },
    );

    let pub: Awaited<ReturnType<typeof connectPublisher>>;
    await t.step(
      "the device enrolls with that token and comes online with its details",
      async () => {
        const listed = await json(await call("GET", "/api/admin/devices", root.token), 200);
        assert.equal(listed.devices[0].state, "awaiting enrollment");
        assert.equal(listed.devices[0].online, false);
        const dev = await enrollWithToken(s, "door", token);
        cleanups.push(() => dev.client.close());
        pub = await connectPublisher(dev, "Front door");
        cleanups.push(() => pub.close());
        await waitUntil(() => s.ctx.presence.get("door")?.online === true);
        const [d] = (await json(await call("GET", "/api/admin/devices", root.token), 200)).devices;
        assert.equal(d.id, "door");
        assert.equal(d.label, "Front door");
        assert.equal(d.state, "enrolled");
        assert.equal(d.online, true);
        assert.equal(d.version, "test");
        assert.match(d.address, /127\.0\.0\.1/);
        assert.ok(Date.parse(d.certExpires) > Date.now(), d.certExpires);
        assert.ok(Date.now() - Date.parse(d.lastSeen) < 10_000);
        assert.equal(d.stream, null, "no stats report yet");
        // The publisher's report (every 5 s) shows as the device's stream.
        const report = { viewers: 2, bitrateBps: 2.1e6, fps: 30, packetsLost: 3, rssBytes: 5e7 };
        pub.send({ type: "stats", ...report, cpuSeconds: 4.5 });
        const streamOf = async () =>
          (await json(await call("GET", "/api/admin/devices", root.token), 200)).devices[0].stream;
        await waitUntil(async () => (await streamOf()) !== null, 5_000, "the stats report");
        assert.deepEqual(await streamOf(), report);
        const again = await json(
          await call("POST", "/api/admin/devices", root.token, { id: "door" }),
          409,
        );
        assert.equal(again.error, "device_enrolled");
      },
    );

    await t.step(
      "who is viewing: viewer, camera, since, from, direct; the admin ends it",
      async () => {
        const res = await fetch(`${s.base}/whep/door`, {
          method: "POST",
          client: s.client,
          headers: { "content-type": "application/sdp", authorization: `Bearer ${alice.token}` },
          body: RECVONLY_OFFER,
        });
        assert.equal(res.status, 201, await res.text());
        await waitUntil(() => s.ctx.viewing.list()[0]?.pair !== null);
        const { sessions } = await json(await call("GET", "/api/admin/sessions", root.token), 200);
        assert.equal(sessions.length, 1);
        const [v] = sessions;
        assert.equal(v.viewer, "alice");
        assert.equal(v.camera, "door");
        assert.equal(v.path, "direct");
        assert.match(v.from, /127\.0\.0\.1/);
        assert.ok(Date.now() - Date.parse(v.since) < 10_000);
        assert.equal((await call("DELETE", `/api/admin/sessions/${v.id}`, root.token)).status, 204);
        await pub.waitFor((m) => m.type === "close" && m.sessionId === v.id);
        assert.deepEqual(
          (await json(await call("GET", "/api/admin/sessions", root.token), 200)).sessions,
          [],
        );
        await json(await call("DELETE", `/api/admin/sessions/${v.id}`, root.token), 404);
        const end = s.ctx.audit.recent.find((e) => e.event === "session.end" && e.session === v.id);
        assert.equal(end?.by, "admin");
      },
    );

    await t.step(
      "users: add, set cameras, recordings and role, reset password, last admin kept",
      async () => {
        const weak = await json(
          await call("POST", "/api/admin/users", root.token, {
            name: "bob",
            password: "x",
            cameras: [],
          }),
          400,
        );
        assert.equal(weak.error, "weak_password");
        const bob = await json(
          await call("POST", "/api/admin/users", root.token, {
            name: "bob",
            password: "correct horse battery",
            cameras: ["door", "door"],
          }),
          201,
        );
        assert.deepEqual(bob, { name: "bob", cameras: ["door"], recordings: [], role: "viewer" });
        await json(
          await call("POST", "/api/admin/users", root.token, {
            name: "bob",
            password: "correct horse battery",
            cameras: [],
          }),
          409,
        );
        const set = await json(
          await call("PATCH", "/api/admin/users/bob", root.token, { cameras: ["*"], admin: true }),
          200,
        );
        assert.deepEqual(set, { name: "bob", cameras: ["*"], recordings: [], role: "admin" });
        const rec = await json(
          await call("PATCH", "/api/admin/users/bob", root.token, { recordings: ["door", "*"] }),
          200,
        );
        assert.deepEqual(rec.recordings, ["*"]);
        assert.deepEqual((await s.ctx.store.users.find("bob"))?.recordings, ["*"]);
        await json(
          await call("PATCH", "/api/admin/users/bob", root.token, { recordings: ["../x"] }),
          400,
        );
        await json(
          await call("PATCH", "/api/admin/users/nobody", root.token, { admin: true }),
          404,
        );
        await json(await call("PATCH", "/api/admin/users/bob", root.token, {}), 400);
        // bob demotes root; root's still valid token is refused at once.
        const login = await fetch(`${s.base}/auth/login`, {
          method: "POST",
          client: s.client,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "bob", password: "correct horse battery" }),
        });
        const bobToken = (await json(login, 200)).accessToken;
        await json(await call("PATCH", "/api/admin/users/root", bobToken, { admin: false }), 200);
        const gone = await json(await call("GET", "/api/admin/users", root.token), 403);
        assert.match(gone.message, /admin role withdrawn/);
        const last = await json(
          await call("PATCH", "/api/admin/users/bob", bobToken, { admin: false }),
          409,
        );
        assert.equal(last.error, "last_admin");
        await json(await call("DELETE", "/api/admin/users/bob", bobToken), 409);
        await json(await call("PATCH", "/api/admin/users/root", bobToken, { admin: true }), 200);
        // A reset ends alice's logins: her token is refused afterwards.
        assert.equal(
          (await call("POST", "/api/admin/users/alice/password", root.token, {
            password: "another horse battery",
          })).status,
          204,
        );
        assert.equal((await call("GET", "/api/cameras", alice.token)).status, 401);
        assert.equal((await call("DELETE", "/api/admin/users/bob", root.token)).status, 204);
        await json(await call("DELETE", "/api/admin/users/bob", root.token), 404);
        const { users } = await json(await call("GET", "/api/admin/users", root.token), 200);
        assert.deepEqual(users.map((u: { name: string; role: string }) => [u.name, u.role]), [
          ["alice", "viewer"],
          ["root", "admin"],
        ]);
      },
    );

    await t.step(
      "revoke: the device's channel closes and it is offline within a second",
      async () => {
        const closed = new Promise<void>((r) => pub.ws.addEventListener("close", () => r()));
        const t0 = Date.now();
        await json(await call("DELETE", "/api/admin/devices/door", root.token), 200);
        await Promise.race([
          closed,
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error("not closed in 1 s")), 1000)
          ),
        ]);
        const [d] = (await json(await call("GET", "/api/admin/devices", root.token), 200)).devices;
        console.log(`revoked → channel closed and listed offline in ${Date.now() - t0} ms`);
        assert.equal(d.online, false);
        assert.equal(d.state, "revoked");
        await json(await call("DELETE", "/api/admin/devices/nope", root.token), 404);
      },
    );

    await t.step("stored footage per camera, with the retention that keeps it", async () => {
      const empty = await json(await call("GET", "/api/admin/recordings", root.token), 200);
      assert.deepEqual(empty.cameras, []);
      assert.equal(empty.totalBytes, 0);
      assert.deepEqual(empty.retention, {
        maxAgeMs: s.ctx.config.recordingsRetentionMs,
        maxBytes: s.ctx.config.recordingsMaxBytes,
      });
      const seg = (segment: string, startMs: number, bytes: number) => ({
        camera: "door",
        segment,
        startMs,
        endMs: startMs + 20_000,
        bytes,
        sha256: "00".repeat(32),
        storedAt: Date.now(),
      });
      const t0 = Date.parse("2026-12-01T10:00:00Z");
      await s.ctx.store.recordings.add(seg("s1", t0, 1_000));
      await s.ctx.store.recordings.add(seg("s2", t0 + 20_000, 2_500));
      const r = await json(await call("GET", "/api/admin/recordings", root.token), 200);
      assert.deepEqual(r.cameras, [{
        camera: "door",
        label: "Front door",
        segments: 2,
        bytes: 3_500,
        from: "2026-12-01T10:00:00.000Z",
        to: "2026-12-01T10:00:40.000Z",
      }]);
      assert.equal(r.totalBytes, 3_500);
    });

    await t.step(
      "audit log: newest first, filters by kind, device and user; bad filters 400",
      async () => {
        const { entries } = await json(
          await call("GET", "/api/admin/audit?kind=admin", root.token),
          200,
        );
        assert.ok(entries.length >= 8);
        assert.ok(entries.every((e: { event: string }) => e.event.startsWith("admin.")));
        assert.equal(entries[0].event, "admin.device_revoked");
        const times = entries.map((e: { ts: string }) => Date.parse(e.ts));
        assert.deepEqual(times, [...times].sort((a, b) => b - a));
        const door =
          (await json(await call("GET", "/api/admin/audit?device=door&limit=500", root.token), 200))
            .entries;
        assert.ok(door.some((e: { event: string }) => e.event === "session.start"));
        assert.ok(
          door.every((e: { device?: string; camera?: string }) =>
            e.device === "door" || e.camera === "door"
          ),
        );
        const byAlice = (await json(
          await call("GET", "/api/admin/audit?user=alice&kind=admin.refused", root.token),
          200,
        ))
          .entries;
        assert.equal(byAlice.length, ROUTES.length);
        const bad = await json(await call("GET", "/api/admin/audit?limit=0", root.token), 400);
        assert.match(bad.message, /^limit:/);
        await json(await call("GET", "/api/admin/audit?kind=../x", root.token), 400);
        await json(await call("GET", "/api/admin/audit?other=1", root.token), 400);
      },
    );
  } finally {
    for (const f of cleanups.reverse()) await f();
    await s.stop();
  }
});
