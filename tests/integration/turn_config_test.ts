/**
 * `deno task turn:config` as a process: the coturn config and the shared
 * secret it writes, and a refusal without a stack trace.
 */
import assert from "node:assert/strict";

// The program as an operator runs it (a path, not an import: scripts/ are entry points).
const SCRIPT = `${new URL("../../", import.meta.url).pathname}scripts/turn_config.ts`;

/** Runs turn:config writing into `dir` for realm cams.example.com on 127.0.0.1, plus `extra`. */
function turnConfig(dir: string, ...extra: string[]) {
  const args = ["--dir", dir, "--realm", "cams.example.com", "--listen", "127.0.0.1", ...extra];
  return new Deno.Command("deno", {
    args: ["run", "--allow-read", `--allow-write=${dir}`, SCRIPT, ...args],
  }).output();
}

Deno.test("turn:config writes a 0600 config and a new 0600 secret; a range re-opening loopback is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-turn-config-" });
  try {
    const out = await turnConfig(dir);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const conf = await Deno.readTextFile(`${dir}/turnserver.conf`);
    const secret = (await Deno.readTextFile(`${dir}/secret`)).trim();
    assert.ok(conf.includes(`static-auth-secret=${secret}`));
    assert.ok(conf.includes("no-cli") && conf.includes("denied-peer-ip=127.0.0.1"));
    for (const f of ["turnserver.conf", "secret"]) {
      assert.equal((await Deno.stat(`${dir}/${f}`)).mode! & 0o777, 0o600, f);
    }
    assert.ok(!new TextDecoder().decode(out.stdout).includes(secret), "the secret is not printed");
    const bad = await turnConfig(dir, "--allow-peer", "127.0.0.0/8");
    assert.equal(bad.code, 1);
    const err = new TextDecoder().decode(bad.stderr);
    assert.match(err, /includes the server's own 127\.0\.0\.0\/8/);
    assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
