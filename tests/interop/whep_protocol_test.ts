/**
 * WHEP statuses as draft-ietf-wish-whep (-03) and WHIP RFC 9725 state them,
 * against the real server and publisher (issue 14 items 1, 4, 5, 6).
 *
 * IGNORED until the server side lands (the follow-up after the server
 * refactor): CORS with `--cors-origin`, OPTIONS before auth, ETag/If-Match
 * (412/428), ICE restart via PATCH (200 sdpfrag + new ETag; the publisher's
 * half is done: publisher/peer/viewer_peer.ts `restartIce`), 405 + Allow,
 * 409 + Retry-After for an offline camera, reaping sessions whose ICE never
 * connects. The option name `corsOrigins` is provisional.
 */
import assert from "node:assert/strict";
import { RTCPeerConnection } from "werift";
import { h264Codec } from "../../publisher/peer/viewer_peer.ts";
import { type LiveCamera, startLiveCamera } from "../helpers/live_camera.ts";

const PENDING = true; // the server follow-up flips this
const ORIGIN = "https://player.example";

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
  name: "WHEP statuses (draft-ietf-wish-whep): pending the server follow-up",
  ignore: PENDING,
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const cam = await startLiveCamera({
    camera: "proto-cam",
    server: { corsOrigins: [ORIGIN] } as Record<string, unknown>,
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
      assert.equal(other.headers.get("access-control-allow-origin"), null);
    });

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
    });

    await t.step("trickle PATCH: If-Match required (428), stale (412), current (204)", async () => {
      const frag = "a=ice-ufrag:abcd\r\na=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n";
      const h = (ifMatch?: string) => ({
        "content-type": "application/trickle-ice-sdpfrag",
        ...(ifMatch ? { "if-match": ifMatch } : {}),
      });
      assert.equal((await call(cam, "PATCH", location, { headers: h(), body: frag })).status, 428);
      assert.equal(
        (await call(cam, "PATCH", location, { headers: h('"stale"'), body: frag })).status,
        412,
      );
      assert.equal(
        (await call(cam, "PATCH", location, { headers: h(etag), body: frag })).status,
        204,
      );
    });

    await t.step('ICE restart: If-Match "*" → 200 sdpfrag and a new ETag', async () => {
      const r = await call(cam, "PATCH", location, {
        headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" },
        body: restartFrag("rst1"),
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("content-type"), "application/trickle-ice-sdpfrag");
      assert.match(r.text, /^a=ice-ufrag:/m);
      assert.match(r.text, /^a=ice-pwd:/m);
      const next = r.headers.get("etag")!;
      assert.ok(next && next !== etag, "a new ETag");
      const old = await call(cam, "PATCH", location, {
        headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": etag },
        body: "a=end-of-candidates\r\n",
      });
      assert.equal(old.status, 412, "the pre-restart ETag is stale");
      etag = next;
    });

    await t.step("methods a WHEP resource does not support: 405 with Allow", async () => {
      for (const m of ["GET", "PUT"]) {
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
    });

    await t.step("DELETE ends the session; again → 404", async () => {
      assert.equal((await call(cam, "DELETE", location)).status, 200);
      assert.equal((await call(cam, "DELETE", location)).status, 404);
    });

    await t.step("sessions whose ICE never connects are reaped: no lock-out", async () => {
      // Four offers from players that never run ICE fill the viewer limit (4); then a fifth.
      for (let i = 0; i < 4; i++) {
        const r = await call(cam, "POST", path, {
          headers: { "content-type": "application/sdp" },
          body: await offer(),
        });
        assert.equal(r.status, 201);
      }
      await new Promise((r) => setTimeout(r, 8_000));
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
