import assert from "node:assert/strict";
import {
  cacheRoot,
  elfMachine,
  privateAptOptions,
  sha512Integrity,
  shellQuote,
  sourcesList,
  wrapperScript,
} from "./arm64.ts";

Deno.test("elfMachine", async (t) => {
  await t.step("this Deno is an x86_64 or aarch64 ELF", async () => {
    const head = new Uint8Array(64);
    using f = await Deno.open(Deno.execPath());
    await f.read(head);
    assert.equal(elfMachine(head), Deno.build.arch === "aarch64" ? "aarch64" : "x86_64");
  });
  await t.step("an aarch64 header (e_machine 183, little endian)", () => {
    const h = new Uint8Array(64);
    h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    h[18] = 183;
    assert.equal(elfMachine(h), "aarch64");
    h[18] = 40; // ARM (32-bit)
    assert.equal(elfMachine(h), "machine 40");
  });
  await t.step("not an ELF, or too short", () => {
    assert.equal(elfMachine(new TextEncoder().encode("#!/bin/sh\nexec qemu …\n")), null);
    assert.equal(elfMachine(new Uint8Array([0x7f, 0x45, 0x4c, 0x46])), null);
  });
});

Deno.test("sha512Integrity: npm's subresource-integrity form", async () => {
  // SHA-512 of the empty string.
  assert.equal(
    await sha512Integrity(new Uint8Array()),
    "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
  );
});

Deno.test("wrapperScript: sh runs qemu with the sysroot, the arm64 deno and the arguments", async () => {
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const dir = await Deno.makeTempDir({ prefix: "vigil-arm64-wrapper-" });
  try {
    // A stand-in for qemu that prints each argument it is given in brackets.
    await Deno.writeTextFile(`${dir}/qemu`, `#!/bin/sh\nfor a; do printf '[%s]' "$a"; done\n`, {
      mode: 0o755,
    });
    const script = wrapperScript(`${dir}/qemu`, "/sys root", "/opt/deno's/deno");
    assert.match(script, /^#!\/bin\/sh\n/);
    await Deno.writeTextFile(`${dir}/deno`, script, { mode: 0o755 });
    const out = await new Deno.Command(`${dir}/deno`, {
      args: ["run", "a b", "$HOME"],
      stdout: "piped",
    }).output();
    assert.ok(out.success);
    assert.equal(
      new TextDecoder().decode(out.stdout),
      "[-L][/sys root][/opt/deno's/deno][run][a b][$HOME]",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("private apt state: arm64 only, nothing of the host's configuration", () => {
  const o = privateAptOptions("/c/apt");
  const values = o.filter((_, i) => i % 2 === 1);
  assert.ok(o.filter((_, i) => i % 2 === 0).every((x) => x === "-o"));
  assert.ok(values.includes("APT::Architecture=arm64"));
  assert.ok(values.includes("APT::Architectures::=arm64"));
  for (const key of ["Dir::State::status", "Dir::Etc::SourceList", "Dir::Etc::SourceParts"]) {
    const v = values.find((x) => x.startsWith(`${key}=`));
    assert.ok(v?.startsWith(`${key}=/c/apt/`), `${key} is private: ${v}`);
  }
  const list = sourcesList("bookworm");
  assert.match(
    list,
    /^deb \[arch=arm64 signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] http:\/\/deb\.debian\.org\/debian bookworm main$/m,
  );
  assert.match(list, /debian-security bookworm-security main$/m);
});

Deno.test("cacheRoot: $VIGIL_ARM64_CACHE, else /var/cache when writable, else ~/.cache", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.equal(cacheRoot(env({ VIGIL_ARM64_CACHE: "/x" }), () => true), "/x");
  assert.equal(cacheRoot(env({}), () => true), "/var/cache/vigil-arm64");
  assert.equal(cacheRoot(env({ HOME: "/home/u" }), () => false), "/home/u/.cache/vigil-arm64");
});
