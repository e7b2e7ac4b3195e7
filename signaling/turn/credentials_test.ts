import assert from "node:assert/strict";
import { opensslTest } from "../../pki/_testing.ts";
import {
  MIN_SECRET_LENGTH,
  mintTurnCredential,
  turnPassword,
  usernameExpiry,
} from "./credentials.ts";

const SECRET = "s3cret-shared-with-coturn-0123456789abcdef";

/** base64(HMAC-SHA1(secret, username)) computed by openssl, independently of our code. */
async function opensslHmac(secret: string, username: string): Promise<string> {
  // Binary MAC straight into base64(1), so no text decoding touches the bytes.
  const out = await new Deno.Command("sh", {
    args: ["-c", 'printf %s "$U" | openssl dgst -sha1 -hmac "$S" -binary | base64'],
    env: { U: username, S: secret },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

opensslTest(
  "TURN REST credential = base64(HMAC-SHA1(secret, username)), as openssl computes it",
  async (t) => {
    const cases: [string, string][] = [
      [SECRET, "1767225600:abc"],
      [SECRET, "1:x"],
      ["another-secret-of-sufficient-length-ünïcode-✓", "4102444800:Jm3k_-.~"],
      ["x".repeat(200), "1767225600:" + "a".repeat(64)],
    ];
    for (const [secret, username] of cases) {
      await t.step(`${username.slice(0, 24)}`, async () => {
        assert.equal(await turnPassword(secret, username), await opensslHmac(secret, username));
      });
    }
  },
);

Deno.test("mintTurnCredential", async (t) => {
  const now = Date.UTC(2026, 0, 1, 0, 0, 0);

  await t.step("username is <expiry seconds>:<id>, expiry = now + ttl", async () => {
    const c = await mintTurnCredential(SECRET, { ttlMs: 300_000, now, id: "session-1" });
    assert.equal(c.username, `${now / 1000 + 300}:session-1`);
    assert.equal(c.expiresAt.getTime(), now + 300_000);
    assert.equal(c.credential, await turnPassword(SECRET, c.username));
    assert.equal(usernameExpiry(c.username), now / 1000 + 300);
  });

  await t.step("sub-second lifetimes round down to whole seconds", async () => {
    const c = await mintTurnCredential(SECRET, { ttlMs: 1_999, now: now + 500 });
    assert.equal(usernameExpiry(c.username), now / 1000 + 2);
  });

  await t.step("the default id is random, opaque, without ':'", async () => {
    const a = await mintTurnCredential(SECRET, { ttlMs: 60_000, now });
    const b = await mintTurnCredential(SECRET, { ttlMs: 60_000, now });
    assert.notEqual(a.username, b.username);
    assert.notEqual(a.credential, b.credential);
    assert.match(a.username, /^\d+:[A-Za-z0-9_-]{22}$/);
  });

  await t.step("the inspect form never shows the password; JSON does", async () => {
    const c = await mintTurnCredential(SECRET, { ttlMs: 60_000, now, id: "x" });
    const shown = Deno.inspect(c);
    assert.ok(!shown.includes(c.credential), shown);
    assert.match(shown, /redacted/);
    assert.equal(JSON.parse(JSON.stringify(c)).credential, c.credential);
  });

  await t.step("bad input is refused with a clear message", async () => {
    await assert.rejects(
      mintTurnCredential("short", { ttlMs: 60_000 }),
      new RegExp(`at least ${MIN_SECRET_LENGTH} characters`),
    );
    await assert.rejects(mintTurnCredential(SECRET, { ttlMs: 999 }), /between 1 s and 24 h/);
    await assert.rejects(mintTurnCredential(SECRET, { ttlMs: 25 * 3_600_000 }), /24 h/);
    await assert.rejects(mintTurnCredential(SECRET, { ttlMs: NaN }), /between/);
    await assert.rejects(mintTurnCredential(SECRET, { ttlMs: 60_000, id: "a:b" }), /id is/);
    await assert.rejects(mintTurnCredential(SECRET, { ttlMs: 60_000, id: "" }), /id is/);
  });

  await t.step("usernameExpiry", () => {
    assert.equal(usernameExpiry("1767225600:x"), 1767225600);
    assert.equal(usernameExpiry("alice"), null);
    assert.equal(usernameExpiry(":x"), null);
  });
});
