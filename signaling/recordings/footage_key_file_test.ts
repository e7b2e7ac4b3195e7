import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultFootageKeyPath, loadFootageKey } from "./footage_key_file.ts";

Deno.test("footage key: made once in the data dir (0600), the same key at every start", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await loadFootageKey(dir, null);
    const path = defaultFootageKeyPath(dir);
    const first = await Deno.readTextFile(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.match(first, /^[A-Za-z0-9+/]{43}=\n$/);
    await loadFootageKey(dir, null);
    assert.equal(await Deno.readTextFile(path), first, "not replaced");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("footage key: a given file must exist, be 0600 and hold 32 bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "given.key");
    await assert.rejects(loadFootageKey(dir, file), /cannot read the recordings key .*given\.key/);
    await Deno.writeTextFile(file, "short\n", { mode: 0o600 });
    await assert.rejects(loadFootageKey(dir, file), /must hold 32 random bytes in base64/);
    await Deno.writeTextFile(file, `${btoa("k".repeat(32))}\n`);
    await Deno.chmod(file, 0o644);
    await assert.rejects(loadFootageKey(dir, file), /readable by others \(mode 644\): chmod 600/);
    await Deno.chmod(file, 0o600);
    await loadFootageKey(dir, file);
    await assert.rejects(Deno.stat(defaultFootageKeyPath(dir)), "no default key made beside it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
