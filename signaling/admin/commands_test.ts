import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import {
  openDataDir,
  parseCameras,
  parseRecordings,
  userAdd,
  userList,
  userSet,
} from "./commands.ts";

Deno.test("user:set replaces a user's cameras and audits it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await userAdd(dir, { name: "alice", password: "correct horse battery", cameras: ["door"] });
    assert.deepEqual(await userSet(dir, "alice", { cameras: parseCameras("door, yard") }), {
      name: "alice",
      cameras: ["door", "yard"],
      recordings: [],
      role: "viewer",
    });
    assert.deepEqual((await userList(dir))[0].cameras, ["door", "yard"]);
    assert.deepEqual((await userSet(dir, "alice", { cameras: parseCameras("yard,*") })).cameras, [
      "*",
    ]);
    const audit = await Deno.readTextFile(`${dir}/audit.log`);
    assert.match(audit, /"user\.grants_changed".*"cameras":\["door","yard"\]/);
    await assert.rejects(userSet(dir, "bob", { cameras: ["*"] }), /unknown user "bob"/);
    await assert.rejects(userSet(dir, "alice", {}), UsageError);
    assert.throws(() => parseCameras("../x"), /invalid camera id/);
    const db = await openDataDir(dir);
    assert.deepEqual((await db.users.find("alice"))?.cameras, ["*"]);
    await db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--recordings: separate from live, set on user:add and user:set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(parseRecordings("none"), []);
    assert.deepEqual(parseRecordings("door,*"), ["*"]);
    assert.throws(() => parseRecordings("../x"), /--recordings: invalid camera id/);
    const added = await userAdd(dir, {
      name: "carol",
      password: "correct horse battery",
      cameras: ["door", "yard"],
      recordings: parseRecordings("door"),
    });
    assert.deepEqual(added.recordings, ["door"]);
    const r = await userSet(dir, "carol", { recordings: parseRecordings("none") });
    assert.deepEqual([r.cameras, r.recordings], [["door", "yard"], []]);
    assert.deepEqual((await userList(dir))[0].recordings, []);
    assert.match(await Deno.readTextFile(`${dir}/audit.log`), /"recordings":\[\]/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("user:set through the CLI: --cameras, and a usage error without it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await userAdd(dir, { name: "bob", password: "correct horse battery", cameras: ["door"] });
    const run = (...args: string[]) =>
      new Deno.Command("deno", {
        args: ["run", "--allow-read", "--allow-run=deno", "scripts/admin.ts", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run("user:set", "bob", "--cameras", "yard", "--data-dir", dir, "--json");
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(ok.stdout)), {
      name: "bob",
      cameras: ["yard"],
      recordings: [],
      role: "viewer",
    });
    const rec = await run("user:set", "bob", "--recordings", "yard", "--data-dir", dir, "--json");
    assert.deepEqual(JSON.parse(new TextDecoder().decode(rec.stdout)).recordings, ["yard"]);
    const bad = await run("user:set", "bob", "--data-dir", dir);
    assert.notEqual(bad.code, 0);
    assert.match(new TextDecoder().decode(bad.stderr), /user:set needs something to change/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("roles: user:add --admin, user:set --admin / --no-admin (audited), contradicting flags refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = (...args: string[]) =>
      new Deno.Command("deno", {
        args: ["run", "--allow-read", "--allow-run=deno", "scripts/admin.ts", ...args],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    const added = run(
      "user:add",
      "root",
      "--cameras",
      "*",
      "--admin",
      "--password-stdin",
      "--data-dir",
      dir,
      "--json",
    );
    const w = added.stdin.getWriter();
    await w.write(new TextEncoder().encode("correct horse battery\n"));
    await w.close();
    const out = await added.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(JSON.parse(new TextDecoder().decode(out.stdout)).role, "admin");

    await userAdd(dir, { name: "carol", password: "correct horse battery", cameras: ["door"] });
    assert.equal((await userSet(dir, "carol", { admin: true })).role, "admin");
    assert.deepEqual((await userList(dir)).map((u) => [u.name, u.role]), [
      ["carol", "admin"],
      ["root", "admin"],
    ]);
    const demoted = await userSet(dir, "carol", { admin: false });
    assert.deepEqual(demoted, { name: "carol", cameras: ["door"], recordings: [], role: "viewer" });
    const audit = await Deno.readTextFile(`${dir}/audit.log`);
    assert.match(audit, /"user\.added".*"user":"root".*"role":"admin"/);
    assert.match(audit, /"user\.grants_changed".*"user":"carol".*"admin":false/);

    const both = await run("user:set", "carol", "--admin", "--no-admin", "--data-dir", dir)
      .output();
    assert.notEqual(both.code, 0);
    assert.match(new TextDecoder().decode(both.stderr), /--admin and --no-admin contradict/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
