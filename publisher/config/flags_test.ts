import assert from "node:assert/strict";
import { publisherFlags } from "./flags.ts";
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
    "--allow-net=127.0.0.1:8444,127.0.0.1,127.0.0.0/8",
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
    ["--state-dir", "/s", "--config", "/etc/vigil/publish.json", "--record=/rec"],
    JSON.stringify({ network: { viewerNets: ["192.168.1.0/24"] } }),
  );
  const f = publisherFlags({
    options,
    device: { ...device, serverUrl: "https://[::1]:8443" },
    sourceBinary: "rpicam-vid",
  });
  assert.equal(f[0], "--allow-net=[::1]:8444,0.0.0.0,192.168.1.0/24");
  assert.ok(f.includes("--allow-read=/s,/etc/vigil/publish.json,/rec"), f.join(" "));
  assert.ok(f.includes("--allow-write=/s,/rec"));
  assert.ok(f.includes("--allow-run=rpicam-vid,ffmpeg"));
  assert.ok(!f.some((x) => /^--allow-(env|ffi|all)|^-A$/.test(x)));
});

Deno.test("publisherFlags: the file source's own clip is readable, nothing else of the repo", () => {
  const options = parsePublishArgs(
    ["--state-dir=/s"],
    JSON.stringify({
      source: { kind: "file", path: "/clips/door.h264" },
    }),
  );
  const read = publisherFlags({ options, device, sourceBinary: null })
    .find((x) => x.startsWith("--allow-read="));
  assert.equal(read, "--allow-read=/s,/clips/door.h264");
});

Deno.test("publisherFlags: exactly the announced STUN/TURN host:ports, no wildcard", () => {
  const options = parsePublishArgs(["--state-dir=/s", "--viewer-net", "192.168.1.0/24"], null);
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
    "--allow-net=127.0.0.1:8444,0.0.0.0,192.168.1.0/24,203.0.113.10:3478,turn.example.com:443,[2001:db8::1]:3478",
  );
});
