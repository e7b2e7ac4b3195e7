import assert from "node:assert/strict";
import { iceServerLinks, sessionIceServers } from "./ice_servers.ts";
import { type IceServerUrl, parseIceServerUrl } from "../../lib/ice_urls.ts";
import { turnPassword } from "./credentials.ts";

const SECRET = "s3cret-shared-with-coturn-0123456789abcdef";
const urls = (...xs: string[]): IceServerUrl[] =>
  xs.map((x) => {
    const r = parseIceServerUrl(x);
    if (!r.ok) throw new Error(r.error);
    return r.url;
  });

Deno.test("sessionIceServers", async (t) => {
  const now = Date.UTC(2026, 0, 1);
  await t.step("STUN bare, TURN URLs sharing one fresh credential", async () => {
    const s = await sessionIceServers(
      urls("stun:203.0.113.10", "turn:203.0.113.10", "turns:turn.example.com:443"),
      { secret: SECRET, ttlMs: 300_000, now },
    );
    assert.equal(s.iceServers.length, 2);
    assert.deepEqual(s.iceServers[0], { urls: ["stun:203.0.113.10:3478"] });
    const turn = s.iceServers[1];
    assert.deepEqual(turn.urls, [
      "turn:203.0.113.10:3478?transport=udp",
      "turns:turn.example.com:443?transport=tcp",
    ]);
    assert.match(turn.username!, new RegExp(`^${now / 1000 + 300}:`));
    assert.equal(turn.credential, await turnPassword(SECRET, turn.username!));
    assert.equal(s.expiresAt?.getTime(), now + 300_000);
  });
  await t.step("each session gets its own credential", async () => {
    const o = { secret: SECRET, ttlMs: 60_000 };
    const a = await sessionIceServers(urls("turn:203.0.113.10"), o);
    const b = await sessionIceServers(urls("turn:203.0.113.10"), o);
    assert.notEqual(a.iceServers[0].username, b.iceServers[0].username);
  });
  await t.step("STUN only: no credential, no expiry", async () => {
    const s = await sessionIceServers(urls("stun:203.0.113.10"), { secret: null, ttlMs: 60_000 });
    assert.deepEqual(s, { iceServers: [{ urls: ["stun:203.0.113.10:3478"] }], expiresAt: null });
  });
  await t.step("TURN without a secret is a configuration error", async () => {
    await assert.rejects(
      sessionIceServers(urls("turn:203.0.113.10"), { secret: null, ttlMs: 60_000 }),
      /no TURN secret/,
    );
  });
  await t.step("none configured: empty list", async () => {
    assert.deepEqual(await sessionIceServers([], { secret: null, ttlMs: 60_000 }), {
      iceServers: [],
      expiresAt: null,
    });
  });
});

Deno.test("iceServerLinks: RFC 9725 Link header values", () => {
  assert.deepEqual(
    iceServerLinks([
      { urls: ["stun:203.0.113.10:3478"] },
      { urls: ["turn:203.0.113.10:3478?transport=udp"], username: "17:a", credential: 'c"\\=' },
    ]),
    [
      '<stun:203.0.113.10:3478>; rel="ice-server"',
      '<turn:203.0.113.10:3478?transport=udp>; rel="ice-server"; username="17:a"; ' +
      'credential="c\\"\\\\="; credential-type="password"',
    ],
  );
});
