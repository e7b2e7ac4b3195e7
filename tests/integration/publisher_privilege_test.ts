/**
 * The publisher's privileges, on the real process: (a) the flags the
 * `publish` launcher computes are the ones the running publisher got, and a
 * probe run under exactly those flags can do nothing outside them; (b) the
 * running publisher owns no listening TCP socket (it connects out).
 */
import assert from "node:assert/strict";
import { PUBLISHER_MALLOC_TUNABLES } from "../../publisher/config/runtime_flags.ts";
import {
  printFlags,
  procInfo,
  REPO,
  startPublisherRig,
  tcpSocketsOf,
} from "./publisher_fixture.ts";

/**
 * Runs in a child `deno run <publisher flags>`; tries each action and prints
 * one JSON line `{ action: outcome }` where outcome is "NotCapable", "ok" or
 * "<ErrorName>: message". No imports: it must not need anything itself.
 */
const PROBE = `
const [cfgText] = Deno.args;
const cfg = JSON.parse(cfgText);
const out = {};
async function attempt(name, f) {
  try {
    const r = await f();
    out[name] = r === undefined ? "ok" : r;
  } catch (e) {
    out[name] = e instanceof Deno.errors.NotCapable ? "NotCapable" : e.name + ": " + e.message;
  }
}
await attempt("read /etc/hostname", () => Deno.readTextFile("/etc/hostname").then(() => {}));
await attempt("read repo deno.json", () => Deno.readTextFile(cfg.repoDenoJson).then(() => {}));
await attempt("list the repo dir", () =>
  Deno.readDir(cfg.repo)[Symbol.asyncIterator]().next().then(() => {}));
await attempt("write outside (probe dir)", () => Deno.writeTextFile(cfg.outsideFile, "x"));
await attempt("write outside (/tmp)", () => Deno.writeTextFile(cfg.tmpFile, "x"));
await attempt("spawn sh", () => new Deno.Command("sh", { args: ["-c", "true"] }).output().then(() => {}));
await attempt("spawn ffmpeg", () => new Deno.Command("ffmpeg", { args: ["-version"] }).output().then(() => {}));
await attempt("env read", () => {
  const v = Deno.env.get(cfg.envName);
  const all = Deno.env.toObject();
  // --ignore-env answers reads with undefined instead of throwing: the value must stay hidden.
  return v === undefined && Object.keys(all).length === 0 ? "hidden" : "visible: " + v;
});
await attempt("tcp connect to the server's public port", async () => {
  (await Deno.connect({ hostname: "localhost", port: cfg.publicPort })).close();
});
await attempt("tcp connect to an unlisted address", async () => {
  (await Deno.connect({ hostname: "198.51.100.7", port: 443 })).close();
});
await attempt("tcp listen on loopback", () => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close());
await attempt("control: read the state dir", () =>
  Deno.readDir(cfg.stateDir)[Symbol.asyncIterator]().next().then(() => {}));
await attempt("control: tcp connect to the device port", async () => {
  (await Deno.connect({ hostname: "localhost", port: cfg.devicePort })).close();
});
await attempt("info: tcp listen on the ICE bind address 0.0.0.0", () =>
  Deno.listen({ hostname: "0.0.0.0", port: 0 }).close());
console.log(JSON.stringify(out));
`;

const MUST_BE_DENIED = [
  "read /etc/hostname",
  "read repo deno.json",
  "list the repo dir",
  "write outside (probe dir)",
  "write outside (/tmp)",
  "spawn sh",
  "spawn ffmpeg",
  "tcp connect to the server's public port",
  "tcp connect to an unlisted address",
  "tcp listen on loopback",
];

Deno.test({
  name: "publisher: least privilege (launcher flags + probe) and no listening TCP socket",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  // Viewers come from a documentation range: loopback is then not in --allow-net,
  // so a TCP connect to another loopback port must be refused.
  const rig = await startPublisherRig({
    deviceId: "priv-cam",
    source: "file",
    viewerNets: ["203.0.113.0/24"],
  });
  const probeDir = await Deno.makeTempDir({ prefix: "vigil-probe-" });
  try {
    const flags = await printFlags(rig.args);
    const pid = await rig.publisherPid();

    await t.step("the running publisher got exactly the launcher's flags", async () => {
      const info = await procInfo(pid);
      assert.ok(info, "publisher process gone");
      const i = info.cmdline.indexOf("run");
      const j = info.cmdline.findIndex((a) => a.endsWith("publisher/main.ts"));
      assert.ok(i >= 0 && j > i, `unexpected cmdline ${info.cmdline.join(" ")}`);
      assert.deepEqual(info.cmdline.slice(i + 1, j), flags);
      console.log(`publisher flags: ${flags.join(" ")}`);
    });

    await t.step("the launcher gave the publisher its malloc tunable", async () => {
      const environ = (await Deno.readTextFile(`/proc/${pid}/environ`)).split("\0");
      const tunables = environ.find((e) => e.startsWith("GLIBC_TUNABLES="));
      assert.ok(tunables?.includes(PUBLISHER_MALLOC_TUNABLES), `environment: ${tunables}`);
    });

    await t.step("no blanket permission in the flags", () => {
      for (const f of flags) {
        assert.ok(!["-A", "--allow-all"].includes(f), `blanket flag ${f}`);
        assert.ok(!/^--allow-(run|net|read|write|env|sys|ffi|import)$/.test(f), `bare flag ${f}`);
        assert.ok(!/^--allow-(env|ffi)/.test(f), `unexpected ${f}`);
      }
      assert.ok(!flags.some((f) => f.startsWith("--allow-run")), "file source needs no run");
      assert.ok(flags.includes("--allow-sys=networkInterfaces"));
      assert.ok(flags.includes("--ignore-env"));
      assert.ok(flags.includes("--no-prompt"));
      const net = flags.find((f) => f.startsWith("--allow-net="))!.slice(12).split(",");
      assert.deepEqual(
        net.sort(),
        [`localhost:${rig.server.devicePort}`, "0.0.0.0", "203.0.113.0/24"]
          .sort(),
      );
    });

    await t.step("a probe under exactly those flags is denied everything else", async () => {
      const probe = `${probeDir}/probe.js`;
      await Deno.writeTextFile(probe, PROBE);
      const envName = "VIGIL_PROBE_CANARY";
      const cfg = {
        repo: REPO,
        repoDenoJson: `${REPO}/deno.json`,
        outsideFile: `${probeDir}/outside.txt`,
        tmpFile: `/tmp/vigil-outside-${crypto.randomUUID()}.txt`,
        envName,
        stateDir: rig.stateDir,
        publicPort: rig.server.publicPort,
        devicePort: rig.server.devicePort,
      };
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, probe, JSON.stringify(cfg)],
        cwd: REPO,
        env: { [envName]: "secret-value" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, `probe failed: ${stderr}`);
      const results: Record<string, string> = JSON.parse(new TextDecoder().decode(out.stdout));
      for (const [action, outcome] of Object.entries(results)) {
        console.log(`  ${action}: ${outcome}`);
      }
      for (const action of MUST_BE_DENIED) {
        assert.equal(results[action], "NotCapable", `${action} must be denied`);
      }
      assert.equal(results["env read"], "hidden", "env values must not be visible");
      // Controls: the probe really runs with the publisher's grants.
      assert.equal(results["control: read the state dir"], "ok");
      assert.equal(results["control: tcp connect to the device port"], "ok");
      await assert.rejects(Deno.stat(cfg.outsideFile), Deno.errors.NotFound);
      await assert.rejects(Deno.stat(cfg.tmpFile), Deno.errors.NotFound);
    });

    await t.step("the publisher owns no listening TCP socket, but an established one", async () => {
      const sockets = await tcpSocketsOf(pid);
      console.log(`  publisher ${pid} TCP sockets: ${JSON.stringify(sockets)}`);
      const listening = sockets.filter((s) => s.state === "0A");
      assert.deepEqual(listening, [], "publisher has a listening TCP socket");
      const established = sockets.filter((s) => s.state === "01");
      assert.ok(established.length >= 1, "no established TCP socket (device channel) found");
      // The device channel goes to the device port (hex in /proc/net/tcp).
      const devPortHex = rig.server.devicePort.toString(16).toUpperCase().padStart(4, "0");
      assert.ok(
        established.some((s) => s.remote.endsWith(`:${devPortHex}`)),
        `no established socket to the device port ${rig.server.devicePort}`,
      );
    });
  } finally {
    await rig.stop();
    await Deno.remove(probeDir, { recursive: true });
  }
});
