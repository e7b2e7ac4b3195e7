import assert from "node:assert/strict";
import {
  ensureTurnSecret,
  readTurnSecret,
  TURN_SECRET_PATTERN,
  TurnSecretError,
} from "./secret.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "vigil-turn-secret-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ensureTurnSecret", async (t) => {
  await t.step(
    "first start creates a random 0600 secret in a 0700 dir; later starts read it",
    () =>
      withDir(async (dir) => {
        const path = `${dir}/turn/secret`;
        const a = await ensureTurnSecret(path);
        assert.match(a, TURN_SECRET_PATTERN);
        assert.equal(a.length, 43);
        assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
        assert.equal((await Deno.stat(`${dir}/turn`)).mode! & 0o777, 0o700);
        assert.equal(await ensureTurnSecret(path), a);
        assert.deepEqual([...Deno.readDirSync(`${dir}/turn`)].map((e) => e.name), ["secret"]);
      }),
  );

  await t.step("concurrent first starts agree on one secret", () =>
    withDir(async (dir) => {
      const path = `${dir}/secret`;
      const all = await Promise.all(Array.from({ length: 8 }, () => ensureTurnSecret(path)));
      assert.equal(new Set(all).size, 1);
    }));

  await t.step("two data dirs get different secrets", () =>
    withDir(async (dir) => {
      assert.notEqual(await ensureTurnSecret(`${dir}/a`), await ensureTurnSecret(`${dir}/b`));
    }));
});

Deno.test("readTurnSecret refuses unusable files with a clear message", async (t) => {
  await t.step("readable by others", () =>
    withDir(async (dir) => {
      const path = `${dir}/secret`;
      await Deno.writeTextFile(path, "a".repeat(43), { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      await assert.rejects(readTurnSecret(path), (e: Error) => {
        assert.ok(e instanceof TurnSecretError);
        assert.match(e.message, /readable by others \(mode 644\): chmod 600/);
        return true;
      });
      await assert.rejects(ensureTurnSecret(path), TurnSecretError);
    }));
  for (
    const [what, content] of [["too short", "abc"], ["spaces", `${"a".repeat(40)} b`], [
      "too long",
      "a".repeat(300),
    ], ["a '#' (coturn comment)", `${"a".repeat(40)}#x`]]
  ) {
    await t.step(what, () =>
      withDir(async (dir) => {
        const path = `${dir}/secret`;
        await Deno.writeTextFile(path, content, { mode: 0o600 });
        await assert.rejects(readTurnSecret(path), /does not hold a TURN secret/);
      }));
  }
  await t.step("a trailing newline is fine", () =>
    withDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/s`, `${"k".repeat(40)}\n`, { mode: 0o600 });
      assert.equal(await readTurnSecret(`${dir}/s`), "k".repeat(40));
    }));
  await t.step("missing file: NotFound", async () => {
    await assert.rejects(readTurnSecret("/nonexistent/vigil/secret"), Deno.errors.NotFound);
  });
});
