/**
 * The signaling server as mediator: a viewer's WHEP offer travels over the
 * bus to a scripted publisher on a real mTLS WebSocket, and back.
 */
import assert from "node:assert/strict";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";

const offers = (p: { received: Record<string, unknown>[] }) =>
  p.received.filter((m) => m.type === "offer");

Deno.test("WHEP through the signaling server", async (t) => {
  const s = await startTestServer({ answerTimeoutMs: 500, maxSessionsPerCamera: 2 });
  const dev = await enrollDevice(s, "door");
  await enrollDevice(s, "garden"); // enrolled, never online
  const pub = await connectPublisher(dev, "Front door");
  const alice = await loginViewer(s, "alice", ["door", "garden"]);
  const bob = await loginViewer(s, "bob", ["garden"]);
  const whep = (
    cam: string,
    token: string | null,
    body = RECVONLY_OFFER,
    type = "application/sdp",
  ) =>
    fetch(`${s.base}/whep/${cam}`, {
      method: "POST",
      client: s.client,
      headers: { "content-type": type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
  try {
    await t.step("the camera list shows presence for permitted cameras only", async () => {
      await new Promise((r) => setTimeout(r, 50));
      const res = await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      const { cameras } = await res.json();
      assert.deepEqual(cameras.map((c: { id: string; online: boolean }) => [c.id, c.online]), [[
        "door",
        true,
      ], ["garden", false]]);
      const bobs = await (await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: { authorization: `Bearer ${bob.token}` },
      })).json();
      assert.deepEqual(bobs.cameras.map((c: { id: string }) => c.id), ["garden"]);
    });

    let location = "";
    await t.step(
      "a viewer's offer reaches the publisher and its answer returns as 201",
      async () => {
        const res = await whep("door", alice.token);
        assert.equal(res.status, 201);
        assert.equal(res.headers.get("content-type"), "application/sdp");
        location = res.headers.get("location")!;
        assert.match(location, /^\/whep\/door\/sessions\/[0-9a-f-]{36}$/);
        assert.match(await res.text(), /s=scripted/);
        const offer = offers(pub)[0];
        assert.equal(offer.viewer, "alice");
        assert.equal(offer.sdp, RECVONLY_OFFER);
      },
    );

    await t.step("PATCH trickles candidates to the publisher; DELETE tells it", async () => {
      const frag =
        "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\na=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n";
      const res = await fetch(`${s.base}${location}`, {
        method: "PATCH",
        client: s.client,
        headers: {
          "content-type": "application/trickle-ice-sdpfrag",
          authorization: `Bearer ${alice.token}`,
        },
        body: frag,
      });
      assert.equal(res.status, 204);
      const cand = await pub.waitFor((m) => m.type === "candidate");
      assert.match(cand.candidate as string, /127\.0\.0\.1 50000/);
      const bobDel = await fetch(`${s.base}${location}`, {
        method: "DELETE",
        client: s.client,
        headers: { authorization: `Bearer ${bob.token}` },
      });
      assert.equal(bobDel.status, 404, "another viewer cannot end the session");
      await bobDel.body?.cancel();
      const del = await fetch(`${s.base}${location}`, {
        method: "DELETE",
        client: s.client,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assert.equal(del.status, 200);
      await del.body?.cancel();
      await pub.waitFor((m) => m.type === "close");
    });

    const before = offers(pub).length;
    await t.step("missing or forged token → 401, nothing reaches the publisher", async () => {
      const none = await whep("door", null);
      assert.equal(none.status, 401);
      await none.body?.cancel();
      const forged = alice.token.slice(0, -4) + (alice.token.endsWith("AAAA") ? "BBBB" : "AAAA");
      const bad = await whep("door", forged);
      assert.equal(bad.status, 401);
      await bad.body?.cancel();
      assert.equal(offers(pub).length, before);
    });

    await t.step("a viewer without permission → 403, nothing reaches the publisher", async () => {
      const res = await whep("door", bob.token);
      assert.equal(res.status, 403);
      assert.match((await res.json()).message, /may not watch/);
      assert.equal(offers(pub).length, before);
    });

    await t.step("unknown camera → 404 (403 outside scope), offline camera → 503", async () => {
      // Outside the viewer's scope, unknown and forbidden look the same (403).
      const hidden = await whep("nope", alice.token);
      assert.equal(hidden.status, 403);
      await hidden.body?.cancel();
      const admin = await loginViewer(s, "admin", ["*"]);
      const unknown = await whep("nope", admin.token);
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
      const offline = await whep("garden", alice.token);
      assert.equal(offline.status, 503);
      assert.equal((await offline.json()).error, "camera_offline");
    });

    await t.step(
      "oversized SDP → 413, wrong type → 415, sendonly or data channel → 400",
      async () => {
        const big = await whep(
          "door",
          alice.token,
          RECVONLY_OFFER + "a=x:" + "y".repeat(20_000) + "\r\n",
        );
        assert.equal(big.status, 413);
        await big.body?.cancel();
        const json = await whep("door", alice.token, "{}", "application/json");
        assert.equal(json.status, 415);
        await json.body?.cancel();
        const sendonly = await whep(
          "door",
          alice.token,
          RECVONLY_OFFER.replace("a=recvonly", "a=sendonly"),
        );
        assert.equal(sendonly.status, 400);
        await sendonly.body?.cancel();
        const dataChannel = await whep(
          "door",
          alice.token,
          RECVONLY_OFFER + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=recvonly\r\n",
        );
        assert.equal(dataChannel.status, 400);
        assert.match((await dataChannel.json()).message, /data channel/);
        assert.equal(offers(pub).length, before);
      },
    );

    await t.step("a silent publisher → 504 after the answer timeout", async () => {
      pub.behaviour = "silent";
      const res = await whep("door", alice.token);
      assert.equal(res.status, 504);
      assert.equal((await res.json()).error, "answer_timeout");
    });

    await t.step("a busy publisher → 503 with its message", async () => {
      pub.behaviour = "busy";
      const res = await whep("door", alice.token);
      assert.equal(res.status, 503);
      assert.match((await res.json()).message, /busy/);
      pub.behaviour = "answer";
    });

    await t.step("per-camera limit → 429", async () => {
      const a = await whep("door", alice.token);
      const b = await whep("door", alice.token);
      const c = await whep("door", alice.token);
      assert.deepEqual([a.status, b.status, c.status], [201, 201, 429]);
      for (const r of [a, b, c]) await r.body?.cancel();
    });

    await t.step("malformed device messages get an error and the channel stays sane", async () => {
      const n = pub.received.length;
      pub.send("not json");
      pub.send({ type: "answer", sessionId: "nope", sdp: "x" });
      pub.send({ type: "heartbeat", t: 42 });
      const hb = await pub.waitFor((m) => m.type === "heartbeat" && m.t === 42);
      assert.ok(hb);
      const errors = pub.received.slice(n).filter((m) => m.type === "error");
      assert.equal(errors.length, 2);
      assert.equal(pub.ws.readyState, WebSocket.OPEN);
    });

    await t.step("the audit log records sessions and refusals without secrets", async () => {
      const log = await Deno.readTextFile(`${s.dataDir}/audit.log`);
      assert.match(log, /"event":"session.start"/);
      assert.match(log, /"event":"token.refused"/);
      assert.ok(!log.includes(alice.token));
      assert.ok(!log.includes(alice.password));
    });

    await t.step("the publisher going away marks the camera offline", async () => {
      await pub.close();
      await new Promise((r) => setTimeout(r, 100));
      const res = await whep("door", alice.token);
      assert.equal(res.status, 503);
      await res.body?.cancel();
    });
  } finally {
    dev.client.close();
    await s.stop();
  }
});

Deno.test("refresh rotation, reuse detection, logout, throttling", async (t) => {
  const s = await startTestServer();
  const alice = await loginViewer(s, "alice", ["*"]);
  const refresh = (cookie: string) =>
    fetch(`${s.base}/auth/refresh`, { method: "POST", client: s.client, headers: { cookie } });
  try {
    let next = "";
    await t.step("refresh rotates the cookie", async () => {
      const res = await refresh(alice.cookie);
      assert.equal(res.status, 200);
      next = (res.headers.get("set-cookie") ?? "").split(";")[0];
      assert.notEqual(next, alice.cookie);
      assert.ok((await res.json()).accessToken);
    });
    await t.step("reusing the old cookie revokes the whole family", async () => {
      const reuse = await refresh(alice.cookie);
      assert.equal(reuse.status, 401);
      assert.equal((await reuse.json()).error, "refresh_reused");
      const after = await refresh(next);
      assert.equal(after.status, 401);
      await after.body?.cancel();
      const api = await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      assert.equal(api.status, 401, "access tokens of a revoked family stop working");
      await api.body?.cancel();
    });
    await t.step("logout ends the session", async () => {
      const res = await fetch(`${s.base}/auth/login`, {
        method: "POST",
        client: s.client,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "alice", password: alice.password }),
      });
      const { accessToken } = await res.json();
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
      const out = await fetch(`${s.base}/auth/logout`, {
        method: "POST",
        client: s.client,
        headers: { cookie },
      });
      assert.equal(out.status, 204);
      await out.body?.cancel();
      const api = await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(api.status, 401);
      await api.body?.cancel();
    });
    await t.step(
      "unknown user and wrong password get the same answer; then throttled",
      async () => {
        const login = (username: string, password: string) =>
          fetch(`${s.base}/auth/login`, {
            method: "POST",
            client: s.client,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username, password }),
          });
        const a = await login("alice", "wrong-password");
        const b = await login("nobody", "wrong-password");
        assert.equal(a.status, 401);
        assert.equal(b.status, 401);
        assert.deepEqual(await a.json(), await b.json());
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          const r = await login("alice", "wrong-password");
          statuses.push(r.status);
          await r.body?.cancel();
        }
        assert.equal(statuses.at(-1), 429, JSON.stringify(statuses));
        const ok = await login("alice", alice.password);
        assert.equal(ok.status, 429, "a locked account stays locked even for the right password");
        assert.ok(Number(ok.headers.get("retry-after")) > 0);
        await ok.body?.cancel();
      },
    );
  } finally {
    await s.stop();
  }
});
