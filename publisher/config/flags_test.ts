import assert from "node:assert/strict";
import { publisherFlags } from "./flags.ts";
import { chooseInterfaceAddress } from "./local_networks.ts";
import { parsePublishArgs } from "./options.ts";
import { PUBLISHER_V8_FLAGS } from "./runtime_flags.ts";
import { SAMPLE_CLIP_PATH } from "../sources/config.ts";

const device = {
  serverUrl: "https://127.0.0.1:8443",
  deviceId: "cam",
  devicePort: 8444,
  caFingerprint: "AB".repeat(32),
};

Deno.test("publisherFlags: file source, no recording", () => {
  const options = parsePublishArgs([
    "--state-dir=/s",
    "--source",
    "file",
    "--viewer-net",
    "127.0.0.0/8",
    "--interface=127.0.0.1",
  ], null);
  assert.deepEqual(publisherFlags({ options, device, sourceBinary: null }), [
    "--allow-net=127.0.0.1:8444,127.0.0.1:0,127.0.0.0/8",
    `--allow-read=/s,${SAMPLE_CLIP_PATH}`,
    "--allow-write=/s",
    "--allow-sys=networkInterfaces",
    "--ignore-env",
    "--no-prompt",
    `--v8-flags=${PUBLISHER_V8_FLAGS}`,
  ]);
});

Deno.test("publisherFlags: camera binary, recording, config file, IPv6 server", () => {
  const options = parsePublishArgs(
    [
      "--state-dir",
      "/s",
      "--config",
      "/etc/vigil/publish.json",
      "--record=/rec",
      "--interface",
      "192.168.1.5",
    ],
    JSON.stringify({ network: { viewerNets: ["192.168.1.0/24"] } }),
  );
  const f = publisherFlags({
    options,
    device: { ...device, serverUrl: "https://[::1]:8443" },
    sourceBinary: "rpicam-vid",
  });
  assert.equal(f[0], "--allow-net=[::1]:8444,192.168.1.5:0,192.168.1.0/24");
  assert.ok(f.includes("--allow-read=/s,/etc/vigil/publish.json,/rec"), f.join(" "));
  assert.ok(f.includes("--allow-write=/s,/rec"));
  assert.ok(f.includes("--allow-run=rpicam-vid,ffmpeg"));
  assert.ok(!f.some((x) => /^--allow-(env|ffi|all)|^-A$/.test(x)));
});

Deno.test("publisherFlags: snapshots without recording run ffmpeg, and read/write nothing more", () => {
  const base = ["--state-dir=/s", "--source", "file", "--interface=127.0.0.1"];
  const run = (argv: string[]) =>
    publisherFlags({ options: parsePublishArgs(argv, null), device, sourceBinary: null });
  const f = run([...base, "--snapshots", "15"]);
  assert.ok(f.includes("--allow-run=ffmpeg"), f.join(" "));
  assert.ok(f.includes("--allow-write=/s"), "no record dir to write");
  assert.ok(!run(base).some((x) => x.startsWith("--allow-run")), "no snapshots: no ffmpeg");
});

Deno.test("publisherFlags: the file source's own clip is readable, nothing else of the repo", () => {
  const options = parsePublishArgs(
    ["--state-dir=/s", "--interface=10.0.0.2"],
    JSON.stringify({
      source: { kind: "file", path: "/clips/door.h264" },
    }),
  );
  const read = publisherFlags({ options, device, sourceBinary: null })
    .find((x) => x.startsWith("--allow-read="));
  assert.equal(read, "--allow-read=/s,/clips/door.h264");
});

Deno.test("publisherFlags: exactly the announced STUN/TURN host:ports, no wildcard", () => {
  const options = parsePublishArgs(
    ["--state-dir=/s", "--viewer-net", "192.168.1.0/24", "--interface", "192.168.1.5"],
    null,
  );
  const net = publisherFlags({
    options,
    device,
    sourceBinary: null,
    iceServerUrls: [
      "stun:203.0.113.10:3478",
      "turn:203.0.113.10:3478?transport=udp",
      "turns:turn.example.com:443?transport=tcp",
      "turn:[2001:db8::1]:3478?transport=udp",
      "not a url",
    ],
  }).find((f) => f.startsWith("--allow-net="));
  assert.equal(
    net,
    "--allow-net=127.0.0.1:8444,192.168.1.5:0,192.168.1.0/24,203.0.113.10:3478,turn.example.com:443,[2001:db8::1]:3478",
  );
});

Deno.test("publisherFlags: never a wildcard; the bind address exactly, per port of a range", () => {
  const base = ["--state-dir=/s", "--viewer-net", "192.168.1.0/24"];
  assert.throws(
    () => publisherFlags({ options: parsePublishArgs(base, null), device, sourceBinary: null }),
    /pass --interface ADDR/,
  );
  for (
    const bad of ["0.0.0.0", "0.1.2.3", "127.1", "0x7f000001", "2130706433", "::", "224.0.0.1"]
  ) {
    assert.throws(() => parsePublishArgs([...base, "--interface", bad], null), /IPv4/, bad);
  }
  const ranged = parsePublishArgs(
    [...base, "--interface", "192.168.1.5"],
    JSON.stringify({ network: { icePortRange: [50000, 50002] } }),
  );
  const net = publisherFlags({ options: ranged, device, sourceBinary: null })[0];
  assert.equal(
    net,
    "--allow-net=127.0.0.1:8444,192.168.1.5:50000,192.168.1.5:50001,192.168.1.5:50002,192.168.1.0/24",
  );
  assert.ok(!/0\.0\.0\.0/.test(net));
});

Deno.test("chooseInterfaceAddress: a viewer network's, else any non-loopback, never a wildcard", () => {
  const ifs = [
    { family: "IPv4" as const, address: "127.0.0.1" },
    { family: "IPv6" as const, address: "fe80::1" },
    { family: "IPv4" as const, address: "203.0.113.5" },
    { family: "IPv4" as const, address: "192.168.1.5" },
  ];
  assert.equal(chooseInterfaceAddress(ifs, ["192.168.0.0/16"]), "192.168.1.5");
  assert.equal(chooseInterfaceAddress(ifs, ["10.0.0.0/8"]), "203.0.113.5");
  assert.equal(chooseInterfaceAddress(ifs.slice(0, 2), ["127.0.0.0/8"]), "127.0.0.1");
  assert.equal(chooseInterfaceAddress(ifs.slice(0, 2), ["10.0.0.0/8"]), null);
  assert.equal(
    chooseInterfaceAddress([{ family: "IPv4", address: "0.0.0.0" }], ["0.0.0.0/0"]),
    null,
  );
});
