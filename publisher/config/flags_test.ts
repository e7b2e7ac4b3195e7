import assert from "node:assert/strict";
import { publisherFlags } from "./flags.ts";

Deno.test("publisherFlags: file source, no recording", () => {
  assert.deepEqual(
    publisherFlags({
      serverHost: "127.0.0.1",
      devicePort: 8444,
      stateDir: "/s",
      recordDir: null,
      sourceBinary: null,
      viewerCidrs: ["127.0.0.0/8"],
      bindAddress: "127.0.0.1",
      readPaths: ["/clip.h264"],
    }),
    [
      "--allow-net=127.0.0.1:8444,127.0.0.1,127.0.0.0/8",
      "--allow-read=/s,/clip.h264",
      "--allow-write=/s",
      "--allow-sys=networkInterfaces",
      "--ignore-env",
      "--no-prompt",
    ],
  );
});

Deno.test("publisherFlags: camera binary, recording, IPv6 server", () => {
  const f = publisherFlags({
    serverHost: "::1",
    devicePort: 8444,
    stateDir: "/s",
    recordDir: "/rec",
    sourceBinary: "rpicam-vid",
    viewerCidrs: ["192.168.1.0/24"],
  });
  assert.equal(f[0], "--allow-net=[::1]:8444,0.0.0.0,192.168.1.0/24");
  assert.ok(f.includes("--allow-read=/s,/rec"));
  assert.ok(f.includes("--allow-write=/s,/rec"));
  assert.ok(f.includes("--allow-run=rpicam-vid,ffmpeg"));
});
