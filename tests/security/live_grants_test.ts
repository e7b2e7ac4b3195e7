/**
 * Finding 4: long-lived viewer responses end with the grant that opened them.
 * The presence stream (`/api/cameras/events`) ends on logout, on user:remove
 * and when user:set narrows the camera scope; a WHEP session of a camera the
 * scope no longer covers is closed at the publisher, and the old access token
 * sees the new scope at once (auth/live_grants.ts, routes/auth.ts).
 */
import assert from "node:assert/strict";
import { userRemove, userSet } from "../../signaling/admin/commands.ts";
import { enrollDevice, loginViewer, startTestServer, type TestServer } from "../helpers/server.ts";
import { ScriptedPublisher, VALID_OFFER } from "./helpers.ts";

/** Opens the presence stream; `ended` resolves with the text read when the server ends it. */
async function openStream(s: TestServer, token: string) {
  const res = await fetch(`${s.base}/api/cameras/events`, {
    client: s.client,
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let text = "";
  const first = Promise.withResolvers<void>();
  const ended = (async () => {
    const d = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += d.decode(value);
      if (text.includes("event: presence")) first.resolve();
    }
  })();
  await first.promise;
  return {
    ended,
    /** Resolves true if the stream ended within `ms`. */
    async endsWithin(ms: number) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        ended.then(() => true),
        new Promise<false>((res) => timer = setTimeout(() => res(false), ms)),
      ]);
      clearTimeout(timer);
      if (!r) await reader.cancel();
      return r;
    },
  };
}

Deno.test({
  name: "live grants: the presence stream and WHEP sessions end with their grant",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const s = await startTestServer();
  const devA = await enrollDevice(s, "cam-ga");
  const devB = await enrollDevice(s, "cam-gb");
  const pubA = await ScriptedPublisher.connect(devA);
  const pubB = await ScriptedPublisher.connect(devB);
  try {
    await t.step("logout → the presence stream ends", async () => {
      const v = await loginViewer(s, "g-logout", ["cam-ga"]);
      const stream = await openStream(s, v.token);
      const out = await fetch(`${s.base}/auth/logout`, {
        method: "POST",
        client: s.client,
        headers: { cookie: v.cookie },
      });
      assert.equal(out.status, 204);
      await out.body?.cancel();
      assert.ok(await stream.endsWithin(5000), "the stream outlived the logout");
    });

    await t.step("user:remove → the presence stream ends", async () => {
      const v = await loginViewer(s, "g-removed", ["cam-ga"]);
      const stream = await openStream(s, v.token);
      await userRemove(s.target, "g-removed");
      assert.ok(await stream.endsWithin(5000), "the stream outlived user:remove");
    });

    await t.step(
      "user:set narrows the scope → stream and the dropped camera's session end",
      async () => {
        const v = await loginViewer(s, "g-narrowed", ["cam-ga", "cam-gb"]);
        const stream = await openStream(s, v.token);
        const open = async (camera: string, pub: ScriptedPublisher) => {
          const res = await fetch(`${s.base}/whep/${camera}`, {
            method: "POST",
            client: s.client,
            headers: { authorization: `Bearer ${v.token}`, "content-type": "application/sdp" },
            body: VALID_OFFER,
          });
          assert.equal(res.status, 201, await res.clone().text());
          await res.body?.cancel();
          return pub.offers().at(-1)!.sessionId as string;
        };
        const sidA = await open("cam-ga", pubA);
        const sidB = await open("cam-gb", pubB);
        await userSet(s.target, "g-narrowed", { cameras: ["cam-gb"] });
        await pubA.waitFor((f) => f.type === "close" && f.sessionId === sidA, 5000);
        assert.ok(await stream.endsWithin(5000), "the stream outlived the narrowed scope");
        assert.ok(
          !pubB.frames.some((f) => f.type === "close" && f.sessionId === sidB),
          "the session of a camera still in scope was closed",
        );
        // The same (unexpired) access token now has the new scope.
        const list = await fetch(`${s.base}/api/cameras`, {
          client: s.client,
          headers: { authorization: `Bearer ${v.token}` },
        });
        assert.deepEqual((await list.json()).cameras.map((c: { id: string }) => c.id), ["cam-gb"]);
        const again = await fetch(`${s.base}/whep/cam-ga`, {
          method: "POST",
          client: s.client,
          headers: { authorization: `Bearer ${v.token}`, "content-type": "application/sdp" },
          body: VALID_OFFER,
        });
        assert.equal(again.status, 403);
        await again.body?.cancel();
      },
    );
    assert.equal(s.ctx.grants.size, 0, "grants left registered");
  } finally {
    await pubA.close();
    await pubB.close();
    devA.client.close();
    devB.client.close();
    await s.stop();
  }
});
