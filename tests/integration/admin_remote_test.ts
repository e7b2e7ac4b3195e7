/**
 * The operator commands with `--remote`: run as their `deno task`s start them
 * (launcher + computed flags: the server's host:port and the named files
 * only), against a real server over TLS. An admin adds a device and the
 * device enrolls with the token printed, lists it online, sees and ends a
 * live session, manages a user, reads the audit log and revokes the device;
 * a viewer without the role, a wrong password and an untrusted certificate
 * are each one clear line and a non-zero exit; the login ends with the command.
 */
import assert from "node:assert/strict";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollWithToken, loginViewer, startTestServer } from "../helpers/server.ts";
import { runTask } from "../helpers/tasks.ts";
import { waitUntil } from "../helpers/wait.ts";
import { adminFlags, parseAdminArgs } from "../../signaling/admin/options.ts";

const task = runTask;

Deno.test({
  name: "operator commands --remote: the admin API from another machine's CLI",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const s = await startTestServer();
  const dir = await Deno.makeTempDir({ prefix: "vigil-remote-" });
  const cleanups: (() => unknown)[] = [];
  try {
    const root = await loginViewer(s, "root", ["*"], true);
    const alice = await loginViewer(s, "alice", ["door"]);
    const caFile = `${dir}/ca.pem`;
    await Deno.writeTextFile(caFile, s.ctx.pki.caPem);
    const pwFile = `${dir}/root.pw`;
    await Deno.writeTextFile(pwFile, `${root.password}\n`, { mode: 0o600 });
    const as = (login: string, file: string) => [
      "--remote",
      s.base,
      "--login",
      login,
      "--login-password-file",
      file,
      "--ca-file",
      caFile,
    ];
    const remote = as("root", pwFile);
    const ok = async (name: string, args: string[], stdin?: string) => {
      const r = await task(name, [...args, ...remote], stdin);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      return r.stdout;
    };
    const logins = () => s.ctx.audit.recent.filter((e) => e.event === "login.success").length;
    const logouts = () => s.ctx.audit.recent.filter((e) => e.event === "logout").length;

    await t.step(
      "the flags: the server's host:port and the named files, nothing else",
      async () => {
        const args = ["device:list", ...remote];
        const flags = adminFlags(parseAdminArgs(args, null));
        const port = new URL(s.base).port;
        assert.deepEqual(flags, [
          `--allow-net=localhost:${port}`,
          `--allow-read=${caFile},${pwFile}`,
        ]);
        const printed = await task("device:list", [...remote, "--print-flags"]);
        assert.deepEqual(printed.stdout.trim().split(/\s+/), flags);
      },
    );

    let token = "";
    await t.step(
      "device:add prints the token and the exact enroll command; it enrolls",
      async () => {
        const [l0, o0] = [logins(), logouts()];
        const added = JSON.parse(
          await ok("device:add", ["door", "--label", "Front door", "--json"]),
        );
        token = added.token;
        assert.match(token, /^vet_/);
        assert.equal(added.caFingerprint, s.ctx.pki.caFingerprint);
        assert.ok(added.command.includes(token) && added.command.includes(s.base), added.command);
        assert.equal(logins(), l0 + 1, "one login per command");
        assert.equal(logouts(), o0 + 1, "and the login ended with it");
        const text = await ok("device:add", ["porch", "--qr"]);
        assert.match(text, /Run on the Pi:\n {2}deno task enroll /);
        assert.match(text, /[▀▄█]/, "--qr draws the command as a QR code");
        const log = await Deno.readTextFile(`${s.dataDir}/audit.log`);
        assert.match(log, /"event":"admin.device_added".*"admin":"root".*"device":"door"/);
        assert.ok(!log.includes(token), "the token is not logged");
      },
    );

    let pub: Awaited<ReturnType<typeof connectPublisher>>;
    await t.step(
      "device:list shows it online, enrolled, with its certificate's expiry",
      async () => {
        const dev = await enrollWithToken(s, "door", token);
        cleanups.push(() => dev.client.close());
        pub = await connectPublisher(dev, "Front door");
        cleanups.push(() => pub.close());
        await waitUntil(() => s.ctx.presence.get("door")?.online === true);
        const { devices } = JSON.parse(await ok("device:list", ["--json"]));
        const door = devices.find((d: { id: string }) => d.id === "door");
        assert.equal(door.online, true);
        assert.equal(door.state, "enrolled");
        assert.ok(Date.parse(door.certExpires) > Date.now());
        const text = await ok("device:list", []);
        assert.match(text, /^door\tonline\tenrolled\tcert until \S+/m);
        assert.match(text, /^porch\toffline\tawaiting enrollment/m);
      },
    );

    await t.step("session:list names who watches; session:end ends it", async () => {
      const res = await fetch(`${s.base}/whep/door`, {
        method: "POST",
        client: s.client,
        headers: { "content-type": "application/sdp", authorization: `Bearer ${alice.token}` },
        body: RECVONLY_OFFER,
      });
      assert.equal(res.status, 201, await res.text());
      await waitUntil(() => s.ctx.viewing.list()[0]?.pair !== null);
      const listed = await ok("session:list", []);
      const [line] = listed.trim().split("\n");
      const [id, camera, viewer, , from, path] = line.split("\t");
      assert.deepEqual([camera, viewer, path], ["door", "alice", "direct"]);
      assert.match(from, /127\.0\.0\.1/);
      assert.match(await ok("session:end", [id]), new RegExp(`session ${id} ended`));
      await pub.waitFor((m) => m.type === "close" && m.sessionId === id);
      assert.equal((await ok("session:list", [])).trim(), "no live sessions");
      const again = await task("session:end", [id, ...remote]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^vigil: error: no such live session \(404 unknown_session\)\n$/);
    });

    await t.step("users: add (password on stdin), set, list, reset, remove", async () => {
      await ok(
        "user:add",
        ["bob", "--cameras", "door", "--password-stdin"],
        "bob's long passphrase\n",
      );
      const login = await fetch(`${s.base}/auth/login`, {
        method: "POST",
        client: s.client,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "bob", password: "bob's long passphrase" }),
      });
      assert.equal(login.status, 200, "bob logs in with the password the CLI sent");
      await login.body?.cancel();
      assert.match(
        await ok("user:set", ["bob", "--recordings", "door", "--admin"]),
        /user "bob" \(admin\) may watch door live, recordings of door/,
      );
      const users = JSON.parse(await ok("user:list", ["--json"]));
      assert.deepEqual(
        users.find((u: { name: string }) => u.name === "bob"),
        {
          ...users.find((u: { name: string }) => u.name === "bob"),
          role: "admin",
          recordings: ["door"],
        },
      );
      const weak = await task("user:passwd", ["bob", "--password-stdin", ...remote], "short\n");
      assert.equal(weak.code, 1);
      assert.match(weak.stderr, /\(400 weak_password\)/);
      await ok("user:passwd", ["bob", "--password-stdin"], "another long passphrase\n");
      assert.match(await ok("user:remove", ["bob"]), /user "bob" removed/);
      assert.ok(!(await s.ctx.store.users.find("bob")));
    });

    await t.step("audit:list: newest first, filtered by kind and device", async () => {
      const { entries } = JSON.parse(
        await ok("audit:list", ["--kind", "admin", "--device", "door", "--json"]),
      );
      assert.ok(entries.length >= 1);
      assert.ok(entries.every((e: { event: string }) => e.event.startsWith("admin.")));
      assert.ok(
        entries.every((e: { device?: string; camera?: string }) =>
          e.device === "door" || e.camera === "door"
        ),
      );
      const text = await ok("audit:list", ["--kind", "admin.user_removed", "--limit", "1"]);
      assert.match(text, /^\S+Z admin\.user_removed .*user=bob/);
      const bad = await task("audit:list", ["--kind", "Bad Kind", ...remote]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /400 invalid_request/);
    });

    await t.step("device:revoke: it goes offline", async () => {
      assert.match(await ok("device:revoke", ["door"]), /device "door" revoked \(1 certificate/);
      await waitUntil(() => s.ctx.presence.get("door")?.online !== true, 1_000);
    });

    await t.step("refusals are one line and exit 1; nothing changes", async () => {
      const alicePw = `${dir}/alice.pw`;
      await Deno.writeTextFile(alicePw, alice.password, { mode: 0o600 });
      const viewer = await task("device:add", ["evil", ...as("alice", alicePw)]);
      assert.equal(viewer.code, 1);
      assert.match(viewer.stderr, /^vigil: error: this needs the admin role.*\(403 forbidden\)\n$/);
      const wrongPw = `${dir}/wrong.pw`;
      await Deno.writeTextFile(wrongPw, "not the password", { mode: 0o600 });
      const wrong = await task("device:list", as("root", wrongPw));
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /\(401 /);
      const untrusted = await task("device:list", [
        "--remote",
        s.base,
        "--login",
        "root",
        "--login-password-file",
        pwFile,
      ]);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.stderr, /not trusted.*--ca-file/);
      assert.equal(await s.ctx.store.devices.exists("evil"), false);
      for (const stack of [viewer, wrong, untrusted]) assert.ok(!/\n\s+at /.test(stack.stderr));
    });

    await t.step("bad usage is exit 2", async () => {
      for (
        const [name, args] of [
          ["keys:rotate", remote],
          ["session:list", []],
          ["device:list", ["--remote", "http://localhost:1", "--login", "root"]],
          ["device:list", ["--remote", `${s.base}/x`, "--login", "root"]],
          ["device:list", ["--remote", s.base]],
          ["device:list", ["--login", "root"]],
          ["audit:list", [...remote, "--limit", "0"]],
        ] as [string, string[]][]
      ) {
        const r = await task(name, args);
        assert.equal(r.code, 2, `${name} ${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, /^vigil: error: .+\n$/);
      }
    });
  } finally {
    for (const c of cleanups.reverse()) await c();
    await s.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
