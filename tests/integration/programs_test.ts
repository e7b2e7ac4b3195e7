/**
 * Every program runs under the flags its own pure `…Flags` function computes,
 * started the way its `deno task` starts it (deno.json's command, the real
 * launcher), doing a real minimal action: the server serves its CA, the
 * operator commands register and list a device (`--data-dir=X` and
 * `--data-dir X` alike), enroll enrolls, renew renews. The publisher is
 * covered the same way by publisher_privilege_test.ts (it goes online under
 * its flags, and /proc shows it got exactly them).
 */
import assert from "node:assert/strict";
import { adminFlags, parseAdminArgs } from "../../signaling/admin/options.ts";
import { serverFlags } from "../../signaling/config/flags.ts";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { enrollFlags, parseEnrollArgs } from "../../publisher/device/enroll_options.ts";
import { parseRenewArgs, renewFlags } from "../../publisher/device/renew_options.ts";
import { loadState } from "../../publisher/device/state.ts";
import { addDevice } from "../../signaling/admin/commands.ts";
import { stopProcess } from "../helpers/publisher_process.ts";
import { startTestServer } from "../helpers/server.ts";
import { runTask, taskArgs } from "../helpers/tasks.ts";
import { childrenOf, REPO, sleep } from "./publisher_fixture.ts";

const decoder = new TextDecoder();

const task = runTask;

/** The launcher's `--print-flags` for a task and arguments. */
async function printedFlags(name: string, args: string[]): Promise<string[]> {
  const r = await task(name, [...args, "--print-flags"]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split(/\s+/);
}

Deno.test({
  name: "programs: each runs under its computed flags and does its job",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-programs-" });
  try {
    await t.step(
      "operator commands: --data-dir=X and --data-dir X, the data dir only",
      async () => {
        const data = `${dir}/admin-data`;
        const addArgs = [
          "demo-cam",
          "--data-dir",
          data,
          "--server-url",
          "https://localhost:1",
          "--json",
        ];
        const flags = adminFlags(parseAdminArgs(["device:add", ...addArgs], null));
        assert.deepEqual(await printedFlags("device:add", addArgs), flags);
        const added = await task("device:add", addArgs);
        assert.equal(added.code, 0, added.stderr);
        assert.match(JSON.parse(added.stdout).token, /^vet_/);
        for (const form of [[`--data-dir=${data}`], ["--data-dir", data]]) {
          const list = await task("device:list", [...form, "--json"]);
          assert.equal(list.code, 0, list.stderr);
          assert.deepEqual(JSON.parse(list.stdout).map((d: { id: string }) => d.id), ["demo-cam"]);
          assert.deepEqual(await printedFlags("device:list", form), flags);
        }
        // Under X's flags, another dir is out of reach: the flags really restrict.
        const other = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            ...flags,
            "signaling/admin/main.ts",
            "device:list",
            "--data-dir",
            `${dir}/other`,
          ],
          cwd: REPO,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.notEqual(other.code, 0);
        assert.match(decoder.decode(other.stderr), /Requires (read|write) access|NotCapable/);
      },
    );

    await t.step("server: serves its CA, and /proc shows it got exactly serverFlags", async () => {
      const web = `${dir}/web`;
      await Deno.mkdir(web);
      await Deno.writeTextFile(`${web}/index.html`, "<!doctype html>");
      const args = [
        "--data-dir",
        `${dir}/server-data`,
        "--host=127.0.0.1",
        "--port",
        "0",
        "--device-port=0",
        "--web-dir",
        web,
      ];
      const flags = serverFlags(parseServeArgs(args, null));
      assert.deepEqual(await printedFlags("serve", args), flags);
      const launcher = new Deno.Command(Deno.execPath(), {
        args: [...taskArgs("serve"), ...args],
        cwd: REPO,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      try {
        const reader = launcher.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        while (!/CA fingerprint/.test(seen)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`server exited: ${seen}`);
          seen += value;
        }
        reader.releaseLock();
        launcher.stdout.cancel().catch(() => {});
        launcher.stderr.cancel().catch(() => {});
        const url = /viewers and enrollment on (https:\/\/\S+)/.exec(seen)![1];
        let server = null;
        for (let i = 0; i < 100 && !server; i++) {
          server = (await childrenOf(launcher.pid)).find((p) =>
            p.cmdline.some((a) => a.endsWith("signaling/main.ts"))
          );
          if (!server) await sleep(50);
        }
        assert.ok(server, "the server process is a child of the launcher");
        const i = server.cmdline.indexOf("run");
        const j = server.cmdline.findIndex((a) => a.endsWith("signaling/main.ts"));
        assert.deepEqual(server.cmdline.slice(i + 1, j), flags);
        const ca = await Deno.readTextFile(`${dir}/server-data/pki/ca.pem`);
        const client = Deno.createHttpClient({ caCerts: [ca] });
        try {
          const res = await fetch(`${url}/pki/ca`, { client });
          assert.equal(res.status, 200);
          assert.equal((await res.text()).trim(), ca.trim());
        } finally {
          client.close();
        }
      } finally {
        await stopProcess(launcher);
      }
    });

    await t.step(
      "enroll and renew: network only to the server, files only in the state dir",
      async () => {
        const s = await startTestServer();
        try {
          const added = await addDevice(s.dataDir, {
            id: "cam-p",
            ttlMs: 60_000,
            serverUrl: s.base,
          });
          const state = `${dir}/device-state`;
          const enrollArgs = [
            `--server=${s.base}`,
            "--ca-fingerprint",
            added.caFingerprint,
            "--state-dir",
            state,
            "--token-stdin",
            "--json",
          ];
          assert.deepEqual(
            await printedFlags("enroll", enrollArgs),
            enrollFlags(parseEnrollArgs(enrollArgs)),
          );
          const enrolled = await task("enroll", enrollArgs, added.token);
          assert.equal(enrolled.code, 0, enrolled.stderr);
          assert.equal(JSON.parse(enrolled.stdout).deviceId, "cam-p");

          const renewArgs = ["--state-dir", state, "--json"];
          const device = (await loadState(state)).config;
          assert.deepEqual(
            await printedFlags("renew", renewArgs),
            renewFlags(parseRenewArgs(renewArgs), device),
          );
          const renewed = await task("renew", renewArgs);
          assert.equal(renewed.code, 0, renewed.stderr);
          assert.equal(JSON.parse(renewed.stdout).deviceId, "cam-p");
          assert.notEqual(
            JSON.parse(renewed.stdout).serial,
            JSON.parse(enrolled.stdout).certSerial,
          );

          const noServer = await task("enroll", ["--state-dir", state, "--token", "x"]);
          assert.equal(noServer.code, 2, "a usage error");
          assert.match(noServer.stderr, /--server is required/);
        } finally {
          await s.stop();
        }
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
