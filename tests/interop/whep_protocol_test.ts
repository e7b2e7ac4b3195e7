/**
 * WHEP statuses as draft-ietf-wish-whep (-03) and WHIP RFC 9725 state them,
 * against the real server and the real publisher process (issue 14 items 1,
 * 4, 5, 6): CORS for `--cors-origin` (OPTIONS before auth, allowed vs
 * refused origin), the 201's ETag and Accept-Patch, trickle PATCH
 * preconditions (412), ICE restart via PATCH (428 without If-Match, 200
 * sdpfrag + a new ETag, the old one stale), 422 for renegotiation, GET 204
 * (-03 section 4.1) and 405 + Allow, DELETE then 404, reaping sessions whose
 * ICE never connects, 409 + Retry-After for an offline camera.
 * tests/integration/whep_test.ts checks the same with a scripted publisher.
 */
import assert from "node:assert/strict";
import { RTCPeerConnection } from "werift";
import { h264Codec } from "../../publisher/peer/viewer_peer.ts";
import { type LiveCamera, startLiveCamera } from "../helpers/live_camera.ts";

const ORIGIN = "https://player.example";
const CONNECT_TIMEOUT_MS = 6_000;

/** A werift recvonly offer (a real stack's SDP). */
async function offer(): Promise<string> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    codecs: { video: [h264Codec()] },
  });
  pc.addTransceiver("video", { direction: "recvonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

async function call(
  cam: LiveCamera,
  method: string,
  path: string,
  o: { token?: string | null; headers?: Record<string, string>; body?: string } = {},
) {
  const token = o.token === undefined ? await cam.token() : o.token;
  const res = await fetch(new URL(path, cam.whepUrl), {
    method,
    client: cam.server.client,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...o.headers },
    body: o.body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const restartFrag = (ufrag: string) =>
  `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${
    "p".repeat(24)
  }\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n`;

Deno.test({
  name: "WHEP statuses (draft-ietf-wish-whep) with the real publisher",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const cam = await startLiveCamera({
    camera: "proto-cam",
    // Long enough for each step's own session (they never run ICE) under load.
    server: { corsOrigins: [ORIGIN], connectTimeoutMs: CONNECT_TIMEOUT_MS },
    publisherLog: "tests/artifacts/whep-protocol-publisher.log",
  });
  const path = `/whep/${cam.camera}`;
  try {
    await t.step("CORS preflight: no token needed; allowed origin only", async () => {
      const pre = (origin: string) =>
        call(cam, "OPTIONS", path, {
          token: null,
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
          },
        });
      const ok = await pre(ORIGIN);
      assert.ok(ok.status === 204 || ok.status === 200, `preflight ${ok.status}`);
      assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
      for (const m of ["POST", "PATCH", "DELETE", "OPTIONS"]) {
        assert.match(ok.headers.get("access-control-allow-methods") ?? "", new RegExp(m));
      }
      for (const h of ["authorization", "content-type", "if-match"]) {
        assert.match(
          (ok.headers.get("access-control-allow-headers") ?? "").toLowerCase(),
          new RegExp(h),
        );
      }
      const other = await pre("https://evil.example");
      for (const [k] of other.headers) assert.ok(!k.startsWith("access-control-"), k);
    });

    /** A new session for one step: its players never run ICE, so it lives CONNECT_TIMEOUT_MS. */
    const fresh = async () => {
      const r = await call(cam, "POST", path, {
        headers: { "content-type": "application/sdp" },
        body: await offer(),
      });
      assert.equal(r.status, 201, r.text);
      return { location: r.headers.get("location")!, etag: r.headers.get("etag")! };
    };
    let location = "";
    let etag = "";
    await t.step("201 with ETag, Accept-Patch and the exposed headers", async () => {
      const r = await call(cam, "POST", path, {
        headers: { origin: ORIGIN, "content-type": "application/sdp" },
        body: await offer(),
      });
      assert.equal(r.status, 201, r.text);
      location = r.headers.get("location")!;
      etag = r.headers.get("etag")!;
      assert.match(etag, /^"[^"]+"$/);
      assert.equal(r.headers.get("accept-patch"), "application/trickle-ice-sdpfrag");
      assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
      const exposed = (r.headers.get("access-control-expose-headers") ?? "").toLowerCase();
      for (const h of ["location", "etag", "link", "accept-patch", "retry-after"]) {
        assert.match(exposed, new RegExp(h));
      }
      assert.notEqual(r.headers.get("cross-origin-resource-policy"), "same-origin");
      assert.equal((await call(cam, "DELETE", location)).status, 200);
    });

    await t.step(
      "trickle PATCH: stale If-Match 412; current or none 204; renegotiation 422",
      async () => {
        ({ location, etag } = await fresh());
        const frag = "a=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n";
        const h = (ifMatch?: string) => ({
          "content-type": "application/trickle-ice-sdpfrag",
          ...(ifMatch ? { "if-match": ifMatch } : {}),
        });
        assert.equal(
          (await call(cam, "PATCH", location, { headers: h('"stale"'), body: frag })).status,
          412,
        );
        const ok = await call(cam, "PATCH", location, { headers: h(etag), body: frag });
        assert.equal(ok.status, 204);
        assert.equal(ok.headers.get("etag"), null, "no ETag on a trickle (-03 4.4.2)");
        // Before any restart one ICE session exists: a tag-less trickle cannot be misapplied.
        assert.equal(
          (await call(cam, "PATCH", location, { headers: h(), body: frag })).status,
          204,
        );
        const reneg = await call(cam, "PATCH", location, {
          headers: h(etag),
          body: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
        });
        assert.equal(reneg.status, 422);
        await call(cam, "DELETE", location);
      },
    );

    await t.step('ICE restart: none 428; If-Match "*" → 200 sdpfrag and a new ETag', async () => {
      ({ location, etag } = await fresh());
      const none = await call(cam, "PATCH", location, {
        headers: { "content-type": "application/trickle-ice-sdpfrag" },
        body: restartFrag("rst0"),
      });
      assert.equal(none.status, 428, none.text);
      const r = await call(cam, "PATCH", location, {
        headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" },
        body: restartFrag("rst1"),
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("content-type"), "application/trickle-ice-sdpfrag");
      assert.match(r.text, /^a=ice-ufrag:/m);
      assert.match(r.text, /^a=ice-pwd:/m);
      assert.match(r.text, /^a=candidate:/m, "the publisher's candidates");
      const next = r.headers.get("etag")!;
      assert.ok(next && next !== etag, "a new ETag");
      const old = await call(cam, "PATCH", location, {
        headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": etag },
        body: "a=end-of-candidates\r\n",
      });
      assert.equal(old.status, 412, "the pre-restart ETag is stale");
      await call(cam, "DELETE", location);
    });

    await t.step(
      "GET 204 (-03 4.1: no representation); unsupported methods 405 + Allow",
      async () => {
        ({ location } = await fresh());
        for (const [m, url] of [["GET", path], ["HEAD", path], ["GET", location]]) {
          const r = await call(cam, m, url);
          assert.equal(r.status, 204, `${m} ${url}`);
          assert.equal(r.text, "");
        }
        for (const m of ["PUT", "DELETE"]) {
          const r = await call(cam, m, path, m === "PUT" ? { body: "x" } : {});
          assert.equal(r.status, 405, `${m} ${path}`);
          assert.match(r.headers.get("allow") ?? "", /POST/);
        }
        for (const m of ["PUT", "POST"]) {
          const r = await call(cam, m, location, { body: "x" });
          assert.equal(r.status, 405, `${m} ${location}`);
          assert.match(r.headers.get("allow") ?? "", /PATCH/);
          assert.match(r.headers.get("allow") ?? "", /DELETE/);
        }
      },
    );

    await t.step("DELETE ends the session; again → 404", async () => {
      // The session of the previous step.
      assert.equal((await call(cam, "DELETE", location)).status, 200);
      assert.equal((await call(cam, "DELETE", location)).status, 404);
    });

    await t.step("sessions whose ICE never connects are reaped: no lock-out", async () => {
      // Four offers from players that never run ICE fill the limit (4); a fifth is refused.
      const post = async () =>
        await call(cam, "POST", path, {
          headers: { "content-type": "application/sdp" },
          body: await offer(),
        });
      for (let i = 0; i < 4; i++) assert.equal((await post()).status, 201);
      const full = await post();
      assert.equal(full.status, 429, full.text);
      await new Promise((r) => setTimeout(r, CONNECT_TIMEOUT_MS + 1_500));
      const r = await call(cam, "POST", path, {
        headers: { "content-type": "application/sdp" },
        body: await offer(),
      });
      assert.equal(r.status, 201, "abandoned sessions were reaped");
    });

    await t.step("an offline camera: 409 with Retry-After", async () => {
      await cam.stopPublisher();
      const deadline = Date.now() + 15_000;
      let r;
      do {
        await new Promise((r) => setTimeout(r, 200));
        r = await call(cam, "POST", path, {
          headers: { "content-type": "application/sdp" },
          body: await offer(),
        });
      } while (r.status === 201 && Date.now() < deadline);
      assert.equal(r.status, 409);
      assert.ok(Number(r.headers.get("retry-after")) > 0);
    });
  } finally {
    await cam.stop();
  }
});
