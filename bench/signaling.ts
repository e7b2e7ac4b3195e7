/**
 * Signaling throughput: access-token verifications per second (vigil's pinned
 * EdDSA verifier, beside plain jose ES256 as the baseline) and WHEP session
 * setups per second through the real server against a scripted publisher that
 * answers at once (so the figure is the server's, not werift's).
 *
 * @module
 */
import * as jose from "jose";
import { signAccessToken, verifyAccessToken } from "../signaling/auth/tokens.ts";
import { enrollDevice, loginViewer, type TestServer } from "../tests/helpers/server.ts";
import { connectPublisher, RECVONLY_OFFER } from "../tests/helpers/scripted_publisher.ts";
import { median, quantile, round, sleep } from "./lib/stats.ts";

/** Access-token verifications per second: vigil's EdDSA verifier vs plain jose ES256. */
export async function benchTokens(s: TestServer, camera: string) {
  const token = await signAccessToken(s.ctx.ring, {
    issuer: s.ctx.issuer,
    sub: "bench",
    cams: [camera],
    sid: crypto.randomUUID(),
  });
  const es = await jose.generateKeyPair("ES256");
  const now = Math.floor(Date.now() / 1000);
  const esToken = await new jose.SignJWT({ cams: [camera], sid: crypto.randomUUID() })
    .setProtectedHeader({ alg: "ES256", typ: "vigil-access+jwt", kid: "k1" })
    .setIssuer(s.ctx.issuer).setAudience("vigil-viewer").setSubject("bench")
    .setIssuedAt(now).setExpirationTime(now + 300).setJti(crypto.randomUUID())
    .sign(es.privateKey);
  async function rate(fn: () => Promise<unknown>, ms = 2000) {
    for (let i = 0; i < 200; i++) await fn(); // warm-up
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      for (let i = 0; i < 50; i++) await fn();
      n += 50;
    }
    return n / ((performance.now() - start) / 1000);
  }
  const vigil = await rate(() => verifyAccessToken(s.ctx.ring, token, s.ctx.issuer));
  const es256 = await rate(() =>
    jose.jwtVerify(esToken, es.publicKey, {
      algorithms: ["ES256"],
      issuer: s.ctx.issuer,
      audience: "vigil-viewer",
      typ: "vigil-access+jwt",
      requiredClaims: ["iat", "exp", "jti", "sub", "cams", "sid"],
    })
  );
  return { vigilEdDSAPerS: vigil, joseES256PerS: es256 };
}

/** WHEP session setups (POST + DELETE) per second against a scripted publisher that answers at once. */
export async function benchWhepSetups(s: TestServer) {
  const dev = await enrollDevice(s, "scripted-cam");
  const pub = await connectPublisher(dev, "Scripted");
  const viewer = await loginViewer(s, "setup-bench", ["scripted-cam"]);
  await sleep(200);
  async function run(concurrency: number, ms: number) {
    let ok = 0;
    const other: Record<string, number> = {};
    const lat: number[] = [];
    const start = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < ms) {
        const a = performance.now();
        const res = await fetch(`${s.base}/whep/scripted-cam`, {
          method: "POST",
          client: s.client,
          headers: { "content-type": "application/sdp", authorization: `Bearer ${viewer.token}` },
          body: RECVONLY_OFFER,
        });
        await res.text();
        if (res.status === 201) {
          ok++;
          lat.push(performance.now() - a);
          const loc = res.headers.get("location");
          if (loc) {
            const d = await fetch(new URL(loc, s.base), {
              method: "DELETE",
              client: s.client,
              headers: { authorization: `Bearer ${viewer.token}` },
            });
            await d.body?.cancel();
          }
        } else other[res.status] = (other[res.status] ?? 0) + 1;
      }
    }));
    const secs = (performance.now() - start) / 1000;
    return {
      concurrency,
      seconds: round(secs, 2),
      setups: ok,
      setupsPerS: round(ok / secs),
      postMedianMs: round(median(lat), 2),
      postP95Ms: round(quantile(lat, 0.95), 2),
      otherStatuses: other,
    };
  }
  const seq = await run(1, 2500);
  const par = await run(4, 2500);
  await pub.close();
  dev.client.close();
  return [seq, par];
}
