/**
 * The publisher's privileges, on the real process: (a) the flags the
 * `publish` launcher computes are the ones the running publisher got, and a
 * probe run under exactly those flags can do nothing outside them, loopback
 * services included under every spelling of the address (0.0.0.0, ::,
 * IPv4-mapped, 127/8 short, hex and decimal forms, localhost); (b) the
 * running publisher owns no listening TCP socket (it connects out); (c) an
 * offer whose candidates name those forms makes the publisher send nothing
 * to a loopback UDP service.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { chooseInterfaceAddress } from "../../publisher/config/local_networks.ts";
import { PUBLISHER_MALLOC_TUNABLES } from "../../publisher/config/runtime_flags.ts";
import { loginViewer } from "../helpers/server.ts";
import { LOOPBACK_AND_WILDCARD_FORMS } from "../security/address_forms.ts";
import { VALID_OFFER } from "../security/helpers.ts";
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
await attempt("tcp listen on the wildcard 0.0.0.0", () =>
  Deno.listen({ hostname: "0.0.0.0", port: 0 }).close());
// A loopback-only TCP service (the test's): every spelling of its address.
for (const form of cfg.forms) {
  await attempt("tcp connect to loopback as " + form, async () => {
    const c = await Deno.connect({ hostname: form.replace(/^\[|\]$/g, ""), port: cfg.loopbackTcpPort });
    const buf = new Uint8Array(64);
    const n = await c.read(buf);
    c.close();
    return "read " + new TextDecoder().decode(buf.subarray(0, n ?? 0));
  });
}
// UDP from the granted bind address to the loopback UDP service, every spelling.
const { createSocket } = await import("node:dgram");
const udp = createSocket("udp4");
await new Promise((resolve, reject) => {
  udp.once("error", reject);
  udp.bind({ address: cfg.bindAddress, port: 0 }, () => resolve(undefined));
}).then(() => { out["control: udp bind on the granted address"] = "ok"; },
  (e) => { out["control: udp bind on the granted address"] = e.name + ": " + e.message; });
for (const form of cfg.forms) {
  await attempt("udp send to loopback as " + form, () => new Promise((resolve, reject) => {
    try {
      udp.send("probe " + form, cfg.loopbackUdpPort, form.replace(/^\[|\]$/g, ""), (e) => e ? reject(e) : resolve(undefined));
    } catch (e) {
      reject(e);
    }
  }));
}
udp.close();
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
  "tcp listen on the wildcard 0.0.0.0",
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
  const bindAddress = chooseInterfaceAddress(Deno.networkInterfaces(), ["203.0.113.0/24"])!;
  // Loopback-only services the publisher must never reach: a TCP banner and a UDP sink.
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const banner = (async () => {
    for await (const c of tcp) {
      await c.write(new TextEncoder().encode("LOOPBACK-BANNER")).catch(() => {});
      c.close();
    }
  })().catch(() => {});
  const udpSink = dgram.createSocket("udp4");
  const udpReceived: string[] = [];
  udpSink.on("message", (m, r) => udpReceived.push(`${r.address}:${r.port} ${m.length} bytes`));
  await new Promise<void>((r) => udpSink.bind({ address: "127.0.0.1", port: 0 }, () => r()));
  const loopbackUdpPort = udpSink.address().port;
  const loopbackTcpPort = (tcp.addr as Deno.NetAddr).port;
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
      // ICE binds one explicit address (port 0: ephemeral), never the wildcard.
      assert.deepEqual(
        net.sort(),
        [`localhost:${rig.server.devicePort}`, `${bindAddress}:0`, "203.0.113.0/24"]
          .sort(),
      );
      assert.ok(!net.some((g) => /^(0\.0\.0\.0|\[?::\]?)(:|$)/.test(g)), `wildcard in ${net}`);
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
        forms: [...LOOPBACK_AND_WILDCARD_FORMS, "127.0.0.1", "127.0.0.2"],
        loopbackTcpPort,
        loopbackUdpPort,
        bindAddress,
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
      for (const form of cfg.forms) {
        const tcpOutcome = results[`tcp connect to loopback as ${form}`];
        assert.ok(!/^ok|^read/.test(tcpOutcome), `TCP to loopback as ${form}: ${tcpOutcome}`);
        const udpOutcome = results[`udp send to loopback as ${form}`];
        assert.notEqual(udpOutcome, "ok", `UDP to loopback as ${form} was sent`);
      }
      assert.equal(results["control: udp bind on the granted address"], "ok");
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(udpReceived, [], "the loopback UDP service received a probe datagram");
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
    await t.step("an offer naming loopback in every spelling: no datagram reaches it", async () => {
      const { token } = await loginViewer(rig.server, "prober", [rig.deviceId]);
      const candidates = [...LOOPBACK_AND_WILDCARD_FORMS, "127.0.0.1", "127.0.0.2"].map((a, i) =>
        `a=candidate:${i + 1} 1 udp ${2122260223 - i} ${a} ${loopbackUdpPort} typ host`
      );
      const offer = VALID_OFFER.replace(
        "a=rtcp-mux\r\n",
        `a=rtcp-mux\r\n${candidates.join("\r\n")}\r\n`,
      );
      const res = await fetch(`${rig.server.base}/whep/${rig.deviceId}`, {
        method: "POST",
        client: rig.server.client,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/sdp" },
        body: offer,
      });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      // werift starts its checks at once; give it time to send to anything it kept.
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual(udpReceived, [], "the publisher sent to a loopback service");
      assert.match(rig.log(), /online as/);
      await fetch(`${rig.server.base}${res.headers.get("location")}`, {
        method: "DELETE",
        client: rig.server.client,
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.body?.cancel());
    });
  } finally {
    tcp.close();
    await banner;
    udpSink.close();
    await rig.stop();
    await Deno.remove(probeDir, { recursive: true });
  }
});
