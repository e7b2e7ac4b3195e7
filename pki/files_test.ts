import assert from "node:assert/strict";
import { writePublicFile, writeSecretFile } from "./files.ts";
import { withTempDir } from "./_testing.ts";

const modeOf = async (path: string) => (await Deno.stat(path)).mode! & 0o777;
const listDir = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("files", async (t) => {
  await t.step("writeSecretFile: mode 0600, parent 0700, no temp file left", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/pki/keys/ca.key`;
      await writeSecretFile(path, "secret\n");
      assert.equal(await Deno.readTextFile(path), "secret\n");
      assert.equal(await modeOf(path), 0o600);
      assert.equal(await modeOf(`${dir}/pki/keys`), 0o700);
      assert.deepEqual(await listDir(`${dir}/pki/keys`), ["ca.key"]);
    });
  });

  await t.step("replaces an existing file, tightening its mode", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/token.key`;
      await Deno.writeTextFile(path, "old", { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      await writeSecretFile(path, new Uint8Array([1, 2, 3]));
      assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
      assert.equal(await modeOf(path), 0o600);
      assert.deepEqual(await listDir(dir), ["token.key"]);
    });
  });

  await t.step("leaves an existing parent directory's mode alone", async () => {
    await withTempDir(async (dir) => {
      await Deno.chmod(dir, 0o755);
      await writeSecretFile(`${dir}/a.key`, "x");
      assert.equal(await modeOf(dir), 0o755);
    });
  });

  await t.step("writePublicFile: mode 0644", async () => {
    await withTempDir(async (dir) => {
      await writePublicFile(`${dir}/ca.pem`, "cert");
      assert.equal(await modeOf(`${dir}/ca.pem`), 0o644);
      assert.equal(await Deno.readTextFile(`${dir}/ca.pem`), "cert");
      assert.deepEqual(await listDir(dir), ["ca.pem"]);
    });
  });

  await t.step({
    name: "writePublicFile: mode 0644 even under a strict umask",
    // Changing the umask needs --allow-sys (2.9.6 has no "umask" descriptor for the flag); skipped without it.
    ignore: Deno.permissions.querySync({ name: "sys", kind: "umask" }).state !== "granted",
    fn: async () => {
      await withTempDir(async (dir) => {
        const previous = Deno.umask(0o077);
        try {
          await writePublicFile(`${dir}/ca.pem`, "cert");
        } finally {
          Deno.umask(previous);
        }
        assert.equal(await modeOf(`${dir}/ca.pem`), 0o644);
      });
    },
  });

  await t.step("a failed write removes its temp file", async () => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/taken`); // rename onto a directory fails
      await assert.rejects(writeSecretFile(`${dir}/taken`, "x"));
      assert.deepEqual(await listDir(dir), ["taken"]);
    });
  });

  await t.step("paths without a file name are rejected", async () => {
    await assert.rejects(writeSecretFile("somewhere/", "x"), RangeError);
    await assert.rejects(writeSecretFile("somewhere/..", "x"), RangeError);
  });
});
