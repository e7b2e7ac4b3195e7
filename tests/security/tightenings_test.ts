/**
 * Lower-risk findings: refresh and logout refuse other origins (a sibling
 * same-site origin cannot force them); a publisher that closes the session
 * right after answering is reported as such (502), not as an offline camera.
 * (The audit log's U+2028/U+2029 escaping: signaling/audit/audit_log_test.ts.)
 */
import assert from "node:assert/strict";
import { crossOrigin } from "../../signaling/http/routes/auth.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";
import { ScriptedPublisher, VALID_OFFER } from "./helpers.ts";

Deno.test("crossOrigin: same origin or no browser headers only", () => {
  const host = "cams.lan:8443";
  assert.equal(crossOrigin({ host }), null);
  assert.equal(
    crossOrigin({ host, fetchSite: "same-origin", origin: "https://cams.lan:8443" }),
    null,
  );
  assert.equal(crossOrigin({ host, fetchSite: "none" }), null);
  assert.match(crossOrigin({ host, fetchSite: "same-site" })!, /same-site/);
  assert.match(crossOrigin({ host, fetchSite: "cross-site" })!, /cross-site/);
  assert.match(crossOrigin({ host, origin: "https://other.cams.lan:8443" })!, /another origin/);
  assert.match(crossOrigin({ host, origin: "https://cams.lan:9443" })!, /another origin/);
  assert.match(crossOrigin({ host, origin: "http://cams.lan:8443" })!, /not https/);
  assert.match(crossOrigin({ host, origin: "null" })!, /not an origin/);
});

Deno.test({
  name: "tightenings: cross-origin refresh/logout → 403; a publisher's close after answering → 502",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const s = await startTestServer();
  const dev = await enrollDevice(s, "cam-t");
  const pub = await ScriptedPublisher.connect(dev);
  try {
    const v = await loginViewer(s, "tight", ["cam-t"]);
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${s.base}${path}`, {
        method: "POST",
        client: s.client,
        headers: { cookie: v.cookie, ...headers },
      });
    const own = new URL(s.base).host;
    for (const path of ["/auth/refresh", "/auth/logout"]) {
      for (
        const [name, headers] of [
          ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
          ["a sibling origin", { origin: `https://sub.${own}` }],
          ["another port", { origin: `https://localhost:1` }],
        ] as const
      ) {
        await t.step(`${path} from ${name} → 403, the session intact`, async () => {
          const r = await post(path, headers);
          assert.equal(r.status, 403);
          assert.equal((await r.json()).error, "cross_origin");
        });
      }
    }
    await t.step("control: the same origin refreshes (the session was intact)", async () => {
      const r = await post("/auth/refresh", {
        "sec-fetch-site": "same-origin",
        origin: `https://${own}`,
      });
      assert.equal(r.status, 200, await r.clone().text());
      await r.body?.cancel();
    });

    await t.step("the publisher closes the session right after its answer → 502", async () => {
      pub.policy = "answer-then-close";
      const r = await fetch(`${s.base}/whep/cam-t`, {
        method: "POST",
        client: s.client,
        headers: { authorization: `Bearer ${v.token}`, "content-type": "application/sdp" },
        body: VALID_OFFER,
      });
      const body = await r.json();
      assert.equal(r.status, 502, JSON.stringify(body));
      assert.equal(body.error, "publisher_closed");
      assert.match(body.message, /closed the session right after answering \(ICE failed\)/);
      pub.policy = "answer";
    });
  } finally {
    await pub.close();
    dev.client.close();
    await s.stop();
  }
});
