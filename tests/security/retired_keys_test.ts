/**
 * Finding 5: a retired signing key retires. `keys:rotate` (the real CLI
 * process) on a running server: the server signs with the new key at once,
 * the old key's private half is deleted; a token forged with the old key
 * (`cams: ["*"]`, an invented `sid`) verifies only until the end of the
 * key's grace, then gets 401 and the key leaves JWKS, all without a restart.
 */
import assert from "node:assert/strict";
import { openDataDir } from "../../signaling/admin/commands.ts";
import { GRACE_MS, rotateJwtKey } from "../../signaling/auth/jwt_keys.ts";
import { signAccessToken } from "../../signaling/auth/tokens.ts";
import { loginViewer, startTestServer } from "../helpers/server.ts";

const until = async (pred: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

Deno.test({
  name: "retired keys: keys:rotate on a running server; the old key dies at the end of its grace",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const s = await startTestServer();
  try {
    await loginViewer(s, "victim", ["cam-x"]);
    const forge = (ring: typeof s.ctx.ring) =>
      signAccessToken(ring, {
        issuer: s.ctx.issuer,
        sub: "victim",
        cams: ["*"],
        sid: crypto.randomUUID(),
      });
    const get = async (token: string) => {
      const r = await fetch(`${s.base}/api/cameras`, {
        client: s.client,
        headers: { authorization: `Bearer ${token}` },
      });
      await r.body?.cancel();
      return r.status;
    };
    const jwksKids = async () => {
      const r = await fetch(`${s.base}/.well-known/jwks.json`, { client: s.client });
      return ((await r.json()).keys as { kid: string }[]).map((k) => k.kid);
    };
    const privateHalves = async () => {
      const out: string[] = [];
      // The JWT signing keys' private halves (keys/ also holds the footage key, recordings.key).
      for await (const e of Deno.readDir(`${s.dataDir}/keys`)) {
        if (e.name.startsWith("jwt-")) out.push(e.name);
      }
      return out.sort();
    };

    const first = s.ctx.ring;
    await t.step(
      "keys:rotate (CLI) on the running server: new key at once, old private half gone",
      async () => {
        const out = await new Deno.Command("deno", {
          args: [
            "run",
            "--allow-read",
            "--allow-run=deno",
            "scripts/admin.ts",
            "keys:rotate",
            "--data-dir",
            s.dataDir,
            "--json",
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const { kid } = JSON.parse(new TextDecoder().decode(out.stdout));
        await until(
          () => s.ctx.ring.current.kid === kid,
          10_000,
          "the server signs with the new key",
        );
        assert.deepEqual(await privateHalves(), [`jwt-${kid}.pem`]);
        // Within its grace the old key still verifies (tokens it signed are ≤ 5 min old).
        assert.equal(await get(await forge(first)), 200);
        assert.ok((await jwksKids()).includes(first.current.kid));
      },
    );

    await t.step(
      "past the grace: a token forged with the retired key → 401, key out of JWKS",
      async () => {
        const before = s.ctx.ring;
        // An operator rotation whose grace for the key it retires ends in 2 s (a separate handle,
        // like the CLI: the server sees it through the store's change poll).
        const db = await openDataDir(s.dataDir);
        const kid = await rotateJwtKey(db, s.dataDir, Date.now() - GRACE_MS + 2000);
        await db.close();
        await until(() => s.ctx.ring.current.kid === kid, 10_000, "reload after the rotation");
        const forged = await forge(before);
        assert.equal(await get(forged), 200, "inside its grace");
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(await get(forged), 401, "a retired key's token after its grace");
        await until(
          async () => !(await jwksKids()).includes(before.current.kid),
          5000,
          "the retired key leaves JWKS",
        );
        assert.deepEqual(await privateHalves(), [`jwt-${kid}.pem`]);
        const audit = await Deno.readTextFile(`${s.dataDir}/audit.log`);
        assert.match(audit, /"token.refused".*"reason":"(signing key retired|unknown kid)"/);
        // The current key works.
        assert.equal(await get(await forge(s.ctx.ring)), 200);
      },
    );
  } finally {
    await s.stop();
  }
});
