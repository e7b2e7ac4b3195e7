/**
 * Forged, tampered, replayed and misplaced tokens against a real server:
 * the viewer access token (Bearer on `GET /api/cameras` and `POST /whep/:camera`),
 * the refresh cookie (`POST /auth/refresh`) and the device token (Bearer on
 * `GET /device/ws` over mTLS).
 *
 * Each forgery changes ONE thing of an otherwise valid token: the positive
 * controls first prove that the same builder with the real server key and
 * correct claims is accepted. Every WHEP case also proves that nothing reached
 * the scripted publisher, that the refusal was audited (`token.refused`) and
 * that no audit entry (memory or audit.log) contains the token.
 */
import assert from "node:assert/strict";
import * as jose from "jose";
import { userRemove } from "../../signaling/admin/commands.ts";
import { x5tS256 } from "../../pki/mod.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";
import {
  assertNotInAudit,
  auditSince,
  b64u,
  deviceWebSocket,
  payloadOf,
  rawJwt,
  ScriptedPublisher,
  VALID_OFFER,
} from "./helpers.ts";

const ACCESS_TYP = "vigil-access+jwt";
const DEVICE_TYP = "vigil-device+jwt";

function bearer(token: string): HeadersInit {
  return { authorization: `Bearer ${token}` };
}

async function status(p: Promise<Response>): Promise<{ status: number; body: unknown }> {
  const res = await p;
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: res.status, body };
}

Deno.test("forged tokens are refused before anything reaches a publisher", async (t) => {
  const s = await startTestServer();
  // An attacker's web server: jku / x5u point here; it must never be asked.
  const attackerHits: string[] = [];
  const attacker = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      attackerHits.push(new URL(req.url).pathname);
      return Response.json({ keys: [attackerJwk] });
    },
  );
  let attackerJwk: jose.JWK = {};
  const devices = [] as Awaited<ReturnType<typeof enrollDevice>>[];
  const pubs: ScriptedPublisher[] = [];
  try {
    const devA = await enrollDevice(s, "cam-a");
    const devB = await enrollDevice(s, "cam-b");
    const devC = await enrollDevice(s, "cam-c"); // target of device-route cases; no publisher
    devices.push(devA, devB, devC);
    const pubA = await ScriptedPublisher.connect(devA);
    const pubB = await ScriptedPublisher.connect(devB);
    pubs.push(pubA, pubB);
    const alice = await loginViewer(s, "alice", ["cam-a"]);
    const aliceSid = payloadOf(alice.token).sid as string;

    const serverKey = s.ctx.ring.current.privateKey;
    const kid = s.ctx.ring.current.kid;
    const jwks = await (await fetch(`${s.base}/.well-known/jwks.json`, { client: s.client }))
      .json() as { keys: jose.JWK[] };
    const serverJwk = jwks.keys.find((k) => k.kid === kid)!;
    assert.ok(serverJwk, "the JWKS lists the current key");
    const serverPub = await jose.importJWK(serverJwk, "EdDSA") as CryptoKey;
    const attackerKeys = await jose.generateKeyPair("EdDSA", { extractable: true });
    attackerJwk = { ...await jose.exportJWK(attackerKeys.publicKey), kid };
    const attackerUrl = `http://127.0.0.1:${attacker.addr.port}`;

    const now = () => Math.floor(Date.now() / 1000);
    const accessHeader = (extra: Record<string, unknown> = {}) => ({
      alg: "EdDSA",
      typ: ACCESS_TYP,
      kid,
      ...extra,
    });
    const accessClaims = (extra: Record<string, unknown> = {}) => ({
      iss: s.ctx.issuer,
      aud: "vigil-viewer",
      sub: "alice",
      cams: ["cam-a"],
      sid: aliceSid,
      iat: now(),
      exp: now() + 240,
      jti: crypto.randomUUID(),
      ...extra,
    });
    const x5tC = x5tS256(devC.certPem);
    const deviceHeader = (extra: Record<string, unknown> = {}) => ({
      alg: "EdDSA",
      typ: DEVICE_TYP,
      kid,
      ...extra,
    });
    const deviceClaims = (extra: Record<string, unknown> = {}) => ({
      iss: s.ctx.issuer,
      aud: "vigil-device",
      sub: "cam-c",
      role: "publisher",
      cnf: { "x5t#S256": x5tC },
      iat: now(),
      exp: now() + 240,
      jti: crypto.randomUUID(),
      ...extra,
    });

    // --- positive controls: the harness itself produces accepted tokens ---

    let offersA = 0;
    await t.step(
      "control: a correctly built token is accepted and its offer is answered",
      async () => {
        const token = await rawJwt(accessHeader(), accessClaims(), serverKey);
        assert.equal(
          (await status(
            fetch(`${s.base}/api/cameras`, { client: s.client, headers: bearer(token) }),
          ))
            .status,
          200,
        );
        const res = await fetch(`${s.base}/whep/cam-a`, {
          method: "POST",
          client: s.client,
          headers: { ...bearer(token), "content-type": "application/sdp" },
          body: VALID_OFFER,
        });
        assert.equal(res.status, 201, await res.clone().text());
        await res.text();
        offersA = pubA.offers().length;
        assert.equal(offersA, 1, "the publisher saw exactly the control offer");
        const del = await fetch(`${s.base}${res.headers.get("location")}`, {
          method: "DELETE",
          client: s.client,
          headers: bearer(token),
        });
        assert.equal(del.status, 200);
        await del.body?.cancel();
      },
    );

    await t.step("control: a correctly built device token opens the channel", async () => {
      const token = await rawJwt(deviceHeader(), deviceClaims(), serverKey);
      const ws = deviceWebSocket(
        `wss://localhost:${s.devicePort}/device/ws`,
        bearer(token),
        devC.client,
      );
      const first = await new Promise<string>((resolve, reject) => {
        ws.onmessage = (e) => resolve(String(e.data));
        ws.onerror = () => reject(new Error("the control device token was refused"));
      });
      assert.equal(JSON.parse(first).type, "welcome");
      const closed = new Promise((r) => ws.onclose = r);
      ws.close();
      await closed;
      // wait (by condition, not by time) until the hub forgot cam-c
      while (s.hub.isConnected("cam-c")) await new Promise((r) => setTimeout(r, 10));
    });

    // --- runners ---

    /** Refused on GET /api/cameras and POST /whep/cam-a; nothing reached the publisher. */
    const viewerRefused = async (token: string, reason?: RegExp, expected = 401) => {
      const from = s.ctx.audit.recent.length;
      const api = await status(
        fetch(`${s.base}/api/cameras`, { client: s.client, headers: bearer(token) }),
      );
      assert.equal(api.status, expected, `GET /api/cameras: ${JSON.stringify(api.body)}`);
      const whep = await status(fetch(`${s.base}/whep/cam-a`, {
        method: "POST",
        client: s.client,
        headers: { ...bearer(token), "content-type": "application/sdp" },
        body: VALID_OFFER,
      }));
      assert.equal(whep.status, expected, `POST /whep/cam-a: ${JSON.stringify(whep.body)}`);
      assert.equal(pubA.offers().length, offersA, "an offer reached the publisher");
      assert.equal(pubB.offers().length, 0, "an offer reached another publisher");
      const refused = auditSince(s, from, "token.refused");
      assert.ok(refused.length >= 2, "each refusal is audited as token.refused");
      // the refusal is for the one flaw this case introduces
      if (reason) { for (const e of refused) assert.match(String(e.reason), reason); }
      await assertNotInAudit(s, token);
    };

    /** Refused on GET /device/ws (over `client`'s mTLS, cam-c by default); no channel opened. */
    const deviceRefused = async (token: string, reason: RegExp, client = devC.client) => {
      const from = s.ctx.audit.recent.length;
      const r = await status(fetch(`https://localhost:${s.devicePort}/device/ws`, {
        client,
        headers: token === "" ? {} : bearer(token),
      }));
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(s.hub.isConnected("cam-c"), false);
      const refused = auditSince(s, from, "token.refused");
      assert.ok(refused.length >= 1, "refusal audited");
      for (const e of refused) assert.match(String(e.reason), reason);
      await assertNotInAudit(s, token);
    };

    const viewerCase = (name: string, reason: RegExp, make: () => Promise<string> | string) =>
      t.step(`access token: ${name} → 401`, async () => {
        await viewerRefused(await make(), reason);
      });
    const deviceCase = (name: string, reason: RegExp, make: () => Promise<string> | string) =>
      t.step(`device token: ${name} → 401`, async () => {
        await deviceRefused(await make(), reason);
      });

    // --- access token: algorithm and key confusion ---

    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      await viewerCase(
        `alg "${alg}" without a signature`,
        /malformed/,
        () => rawJwt(accessHeader({ alg }), accessClaims()),
      );
      await viewerCase(
        `alg "${alg}" with a real EdDSA signature attached`,
        /algorithm not allowed/,
        async () => {
          const signed = await rawJwt(accessHeader({ alg }), accessClaims(), serverKey);
          return signed;
        },
      );
    }
    await viewerCase(
      "empty signature (EdDSA header, no signature)",
      /malformed/,
      () => rawJwt(accessHeader(), accessClaims()),
    );
    await viewerCase(
      "all-zero 64-byte signature",
      /bad signature/,
      () => rawJwt(accessHeader(), accessClaims(), new Uint8Array(64)),
    );

    const hs256 = (secret: Uint8Array) =>
      new jose.SignJWT(accessClaims()).setProtectedHeader({ alg: "HS256", typ: ACCESS_TYP, kid })
        .sign(secret);
    await viewerCase(
      "HS256 keyed with the server's public key as PEM",
      /algorithm not allowed/,
      async () => hs256(new TextEncoder().encode(await jose.exportSPKI(serverPub))),
    );
    await viewerCase(
      "HS256 keyed with the server's public JWK JSON",
      /algorithm not allowed/,
      () => hs256(new TextEncoder().encode(JSON.stringify(serverJwk))),
    );
    await viewerCase(
      "HS256 keyed with the server's raw public key bytes",
      /algorithm not allowed/,
      () => hs256(jose.base64url.decode(serverJwk.x!)),
    );
    await viewerCase(
      "EdDSA signed by another key under the server's kid",
      /bad signature/,
      () => rawJwt(accessHeader(), accessClaims(), attackerKeys.privateKey),
    );
    await viewerCase(
      "ES256 signed by an attacker key under the server's kid",
      /algorithm not allowed/,
      async () => {
        const k = await jose.generateKeyPair("ES256");
        return new jose.SignJWT(accessClaims()).setProtectedHeader({
          alg: "ES256",
          typ: ACCESS_TYP,
          kid,
        }).sign(k.privateKey);
      },
    );
    await viewerCase(
      "RS256 signed by an attacker key under the server's kid",
      /algorithm not allowed/,
      async () => {
        const k = await jose.generateKeyPair("RS256");
        return new jose.SignJWT(accessClaims()).setProtectedHeader({
          alg: "RS256",
          typ: ACCESS_TYP,
          kid,
        }).sign(k.privateKey);
      },
    );
    await viewerCase("embedded jwk header with the attacker's key", /key in header/, () =>
      rawJwt(
        accessHeader({ jwk: { ...attackerJwk, kid: undefined } }),
        accessClaims(),
        attackerKeys.privateKey,
      ));
    await viewerCase("jku header pointing at an attacker server", /key in header/, () =>
      rawJwt(
        accessHeader({ jku: `${attackerUrl}/jwks.json` }),
        accessClaims(),
        attackerKeys.privateKey,
      ));
    await viewerCase("x5u header pointing at an attacker server", /key in header/, () =>
      rawJwt(
        accessHeader({ x5u: `${attackerUrl}/cert.pem` }),
        accessClaims(),
        attackerKeys.privateKey,
      ));
    await viewerCase(
      "kid path traversal ../../keys/x (real signature)",
      /unknown kid/,
      () => rawJwt(accessHeader({ kid: "../../keys/x" }), accessClaims(), serverKey),
    );
    await viewerCase(
      "unknown kid (real signature)",
      /unknown kid/,
      () => rawJwt(accessHeader({ kid: "unknown-kid-0000" }), accessClaims(), serverKey),
    );
    await viewerCase(
      "kid SQL injection (real signature)",
      /unknown kid/,
      () => rawJwt(accessHeader({ kid: "x' OR '1'='1' --" }), accessClaims(), serverKey),
    );
    await viewerCase("unknown crit header (real signature)", /unsupported header/, () =>
      rawJwt(
        accessHeader({ crit: ["x-vigil-unknown"], "x-vigil-unknown": true }),
        accessClaims(),
        serverKey,
      ));
    await viewerCase(
      "typ header missing (real signature)",
      /claim typ/,
      () => rawJwt(accessHeader({ typ: undefined }), accessClaims(), serverKey),
    );

    // --- access token: claims (real signature, one claim wrong) ---

    await viewerCase(
      "expired (exp 5 min ago)",
      /expired/,
      () => rawJwt(accessHeader(), accessClaims({ iat: now() - 540, exp: now() - 300 }), serverKey),
    );
    await viewerCase(
      "nbf in the future",
      /claim nbf/,
      () => rawJwt(accessHeader(), accessClaims({ nbf: now() + 600 }), serverKey),
    );
    await viewerCase(
      "iat in the future",
      /claim iat|future/,
      () => rawJwt(accessHeader(), accessClaims({ iat: now() + 600, exp: now() + 840 }), serverKey),
    );
    await viewerCase(
      "exp missing",
      /claim exp missing/,
      () => rawJwt(accessHeader(), accessClaims({ exp: undefined }), serverKey),
    );
    await viewerCase(
      "lifetime longer than 5 minutes",
      /lifetime too long/,
      () => rawJwt(accessHeader(), accessClaims({ exp: now() + 3600 }), serverKey),
    );
    await viewerCase(
      "wrong iss",
      /claim iss/,
      () => rawJwt(accessHeader(), accessClaims({ iss: "urn:vigil:someone-else" }), serverKey),
    );
    await viewerCase(
      "wrong aud (vigil-device)",
      /claim aud/,
      () => rawJwt(accessHeader(), accessClaims({ aud: "vigil-device" }), serverKey),
    );
    await viewerCase(
      'cams claim a string "*" instead of a list',
      /bad cams claim/,
      () => rawJwt(accessHeader(), accessClaims({ cams: "*" }), serverKey),
    );
    await viewerCase("a real device token on viewer routes", /claim typ/, async () => {
      const r = await fetch(`${devA.deviceBase}/device/token`, {
        method: "POST",
        client: devA.client,
      });
      return (await r.json()).token;
    });
    await viewerCase(
      'changed claims with the old signature (cams → ["*"])',
      /bad signature/,
      () => {
        const [h, , sig] = alice.token.split(".");
        const p = { ...payloadOf(alice.token), cams: ["*"] };
        return `${h}.${b64u(JSON.stringify(p))}.${sig}`;
      },
    );

    // --- access token: shape ---

    await viewerCase(
      "two segments",
      /malformed/,
      () => alice.token.split(".").slice(0, 2).join("."),
    );
    await viewerCase(
      "four segments",
      /malformed/,
      () => `${alice.token}.${alice.token.split(".")[2]}`,
    );
    await viewerCase("five segments (JWE shape)", /malformed/, () => `${alice.token}.AAAA.BBBB`);
    await viewerCase("non-base64url characters (+ / =)", /malformed/, () => {
      const [h, p, sig] = alice.token.split(".");
      return `${h}.${p.replaceAll("-", "+").replaceAll("_", "/")}=.${sig}`;
    });
    await viewerCase(
      "oversized token (10 KB, real signature)",
      /too long/,
      () => rawJwt(accessHeader(), accessClaims({ pad: "x".repeat(10 * 1024) }), serverKey),
    );
    await viewerCase("empty Bearer value", /missing bearer token/, () => "");

    await t.step("access token: in the query string (?access_token=) → 401", async () => {
      const from = s.ctx.audit.recent.length;
      for (const url of [`${s.base}/api/cameras`, `${s.base}/whep/cam-a`]) {
        const r = await status(fetch(`${url}?access_token=${alice.token}`, {
          method: url.endsWith("cam-a") ? "POST" : "GET",
          client: s.client,
          headers: { "content-type": "application/sdp" },
          body: url.endsWith("cam-a") ? VALID_OFFER : undefined,
        }));
        assert.equal(r.status, 401);
        assert.match(JSON.stringify(r.body), /not accepted in URLs/);
      }
      assert.equal(pubA.offers().length, offersA);
      const ev = auditSince(s, from, "token.refused");
      assert.equal(ev.length, 2);
      assert.ok(ev.every((e) => e.reason === "token in query string"));
      await assertNotInAudit(s, alice.token);
    });

    // --- access token: scope and session ---

    await t.step("access token: valid token, camera outside its scope → 403", async () => {
      const from = s.ctx.audit.recent.length;
      const r = await status(fetch(`${s.base}/whep/cam-b`, {
        method: "POST",
        client: s.client,
        headers: { ...bearer(alice.token), "content-type": "application/sdp" },
        body: VALID_OFFER,
      }));
      assert.equal(r.status, 403);
      assert.equal(pubB.offers().length, 0, "the out-of-scope publisher saw nothing");
      const list = await (await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: bearer(alice.token),
      })).json();
      assert.deepEqual(list.cameras.map((c: { id: string }) => c.id), ["cam-a"]);
      assert.ok(auditSince(s, from, "session.refused").some((e) => e.reason === "not permitted"));
      await assertNotInAudit(s, alice.token);
    });

    await t.step("access token: after POST /auth/logout → 401", async () => {
      const bob = await loginViewer(s, "bob", ["cam-a"]);
      assert.equal(
        (await status(
          fetch(`${s.base}/api/cameras`, { client: s.client, headers: bearer(bob.token) }),
        ))
          .status,
        200,
      );
      const out = await fetch(`${s.base}/auth/logout`, {
        method: "POST",
        client: s.client,
        headers: { cookie: bob.cookie },
      });
      assert.equal(out.status, 204);
      await out.body?.cancel();
      await viewerRefused(bob.token, /session ended/);
    });

    await t.step("access token: after user:remove → 401", async () => {
      const carol = await loginViewer(s, "carol", ["cam-a"]);
      await userRemove(s.dataDir, "carol");
      await viewerRefused(carol.token, /session ended/);
    });

    // --- refresh cookie ---

    const refresh = (cookie?: string) =>
      status(fetch(`${s.base}/auth/refresh`, {
        method: "POST",
        client: s.client,
        headers: cookie ? { cookie } : {},
      }));
    const refreshCase = (name: string, cookie: () => Promise<string> | string, code?: string) =>
      t.step(`refresh cookie: ${name} → 401`, async () => {
        const c = await cookie();
        const from = s.ctx.audit.recent.length;
        const r = await refresh(c);
        assert.equal(r.status, 401, JSON.stringify(r.body));
        if (code) {
          assert.equal((r.body as { error: string }).error, code);
          assert.ok(auditSince(s, from, "refresh.refused").length >= 1, "refusal audited");
        }
        await assertNotInAudit(s, c.split("=").slice(1).join("="));
      });

    await refreshCase("no cookie", () => "");
    await refreshCase(
      "unknown random value",
      () => `__Host-vigil-refresh=vrt_${b64u(crypto.getRandomValues(new Uint8Array(32)))}`,
      "refresh_unknown",
    );
    await refreshCase(
      "oversized value (300 chars)",
      () => `__Host-vigil-refresh=${"a".repeat(300)}`,
    );
    await refreshCase(
      "an access token as the refresh cookie",
      () => `__Host-vigil-refresh=${alice.token}`,
    );
    await t.step(
      "refresh cookie: without the __Host- prefix → 401 (and not consumed)",
      async () => {
        const dave = await loginViewer(s, "dave", ["cam-a"]);
        const value = dave.cookie.split("=").slice(1).join("=");
        assert.equal((await refresh(`vigil-refresh=${value}`)).status, 401);
        assert.equal((await refresh(dave.cookie)).status, 200, "the real cookie still works");
      },
    );

    await t.step(
      "refresh cookie: reuse → 401, and the rotated cookie and the family's access token die too",
      async () => {
        const erin = await loginViewer(s, "erin", ["cam-a"]);
        const res = await fetch(`${s.base}/auth/refresh`, {
          method: "POST",
          client: s.client,
          headers: { cookie: erin.cookie },
        });
        assert.equal(res.status, 200);
        const rotated = (res.headers.get("set-cookie") ?? "").split(";")[0];
        const rotatedAccess = (await res.json()).accessToken as string;
        assert.notEqual(rotated, erin.cookie);
        const from = s.ctx.audit.recent.length;
        const replay = await refresh(erin.cookie);
        assert.equal(replay.status, 401);
        assert.equal((replay.body as { error: string }).error, "refresh_reused");
        const next = await refresh(rotated);
        assert.equal(next.status, 401, "the new cookie is revoked with its family");
        assert.equal((next.body as { error: string }).error, "refresh_revoked");
        assert.ok(auditSince(s, from, "refresh.refused").some((e) => e.reason === "reused"));
        await viewerRefused(rotatedAccess, /session ended/);
        for (const c of [erin.cookie, rotated]) await assertNotInAudit(s, c.split("=")[1]);
      },
    );

    await t.step("refresh cookie: after logout → 401", async () => {
      const fay = await loginViewer(s, "fay", ["cam-a"]);
      const out = await fetch(`${s.base}/auth/logout`, {
        method: "POST",
        client: s.client,
        headers: { cookie: fay.cookie },
      });
      assert.equal(out.status, 204);
      await out.body?.cancel();
      const r = await refresh(fay.cookie);
      assert.equal(r.status, 401);
      assert.equal((r.body as { error: string }).error, "refresh_revoked");
    });

    await t.step("refresh cookie: after user:remove → 401", async () => {
      const gus = await loginViewer(s, "gus", ["cam-a"]);
      await userRemove(s.dataDir, "gus");
      assert.equal((await refresh(gus.cookie)).status, 401);
    });

    // --- device token on GET /device/ws (mTLS) ---

    await deviceCase("no Authorization header", /missing bearer token/, () => "");
    await deviceCase(
      'alg "none" without a signature',
      /malformed/,
      () => rawJwt(deviceHeader({ alg: "none" }), deviceClaims()),
    );
    await deviceCase(
      "HS256 keyed with the server's public key PEM",
      /algorithm not allowed/,
      async () =>
        new jose.SignJWT(deviceClaims()).setProtectedHeader({ alg: "HS256", typ: DEVICE_TYP, kid })
          .sign(new TextEncoder().encode(await jose.exportSPKI(serverPub))),
    );
    await deviceCase(
      "EdDSA signed by another key under the server's kid",
      /bad signature/,
      () => rawJwt(deviceHeader(), deviceClaims(), attackerKeys.privateKey),
    );
    await deviceCase("jku header pointing at an attacker server", /key in header/, () =>
      rawJwt(
        deviceHeader({ jku: `${attackerUrl}/jwks.json` }),
        deviceClaims(),
        attackerKeys.privateKey,
      ));
    await deviceCase(
      "expired",
      /expired/,
      () => rawJwt(deviceHeader(), deviceClaims({ iat: now() - 540, exp: now() - 300 }), serverKey),
    );
    await deviceCase(
      "role missing",
      /claim role missing/,
      () => rawJwt(deviceHeader(), deviceClaims({ role: undefined }), serverKey),
    );
    await deviceCase(
      "cnf missing",
      /claim cnf missing/,
      () => rawJwt(deviceHeader(), deviceClaims({ cnf: undefined }), serverKey),
    );
    await deviceCase(
      "sub names another device (cnf matches this certificate)",
      /subject does not match/,
      () => rawJwt(deviceHeader(), deviceClaims({ sub: "cam-a" }), serverKey),
    );
    await deviceCase("a viewer access token on the device route", /claim typ/, () => alice.token);
    await deviceCase(
      "cnf mismatch: device A's real token over device C's mTLS connection",
      /cnf does not match/,
      async () => {
        const r = await fetch(`${devA.deviceBase}/device/token`, {
          method: "POST",
          client: devA.client,
        });
        return (await r.json()).token;
      },
    );
    await deviceCase(
      "changed claims with the old signature (sub → cam-a)",
      /bad signature/,
      async () => {
        const r = await fetch(`${devC.deviceBase}/device/token`, {
          method: "POST",
          client: devC.client,
        });
        const token = (await r.json()).token as string;
        const [h, , sig] = token.split(".");
        return `${h}.${b64u(JSON.stringify({ ...payloadOf(token), sub: "cam-a" }))}.${sig}`;
      },
    );
    await deviceCase(
      "oversized token (10 KB, real signature)",
      /too long/,
      () => rawJwt(deviceHeader(), deviceClaims({ pad: "x".repeat(10 * 1024) }), serverKey),
    );

    await t.step("device token: in the query string (?access_token=) → 401", async () => {
      const r = await fetch(`${devC.deviceBase}/device/token`, {
        method: "POST",
        client: devC.client,
      });
      const token = (await r.json()).token as string;
      const from = s.ctx.audit.recent.length;
      const res = await status(fetch(`${devC.deviceBase}/device/ws?access_token=${token}`, {
        client: devC.client,
      }));
      assert.equal(res.status, 401);
      assert.equal(s.hub.isConnected("cam-c"), false);
      assert.ok(auditSince(s, from, "token.refused").length >= 1);
      await assertNotInAudit(s, token);
    });

    await t.step("device token: a real WebSocket upgrade with alg none never opens", async () => {
      const token = await rawJwt(deviceHeader({ alg: "none" }), deviceClaims());
      const ws = deviceWebSocket(
        `wss://localhost:${s.devicePort}/device/ws`,
        bearer(token),
        devC.client,
      );
      const outcome = await new Promise<string>((resolve) => {
        ws.onopen = () => resolve("open");
        ws.onerror = () => resolve("error");
        ws.onclose = () => resolve("close");
      });
      assert.notEqual(outcome, "open");
      assert.equal(s.hub.isConnected("cam-c"), false);
    });

    await t.step("no jku / x5u was ever fetched", () => {
      assert.deepEqual(attackerHits, []);
    });
    await t.step("the publishers saw no offer besides the control", () => {
      assert.equal(pubA.offers().length, 1);
      assert.equal(pubB.offers().length, 0);
    });
  } finally {
    for (const p of pubs) await p.close();
    for (const d of devices) d.client.close();
    await attacker.shutdown();
    await s.stop();
  }
});
