import assert from "node:assert/strict";
import { type CpuProfile, packageOf, summarizeProfile } from "./cpu_profile.ts";

Deno.test("packageOf groups npm packages, runtime and vigil folders", () => {
  assert.equal(
    packageOf("file:///x/node_modules/.deno/werift@0.25.2/node_modules/werift/lib/a.js"),
    "werift",
  );
  assert.equal(
    packageOf("file:///c/npm/registry.npmjs.org/@peculiar/x509/2.2.0/build/x.js"),
    "@peculiar/x509",
  );
  assert.equal(packageOf("file:///w/main/publisher/media/fanout.ts"), "vigil:publisher");
  assert.equal(packageOf("node:crypto"), "node");
  assert.equal(packageOf(""), "(native)");
});

Deno.test("summarizeProfile: self time per function and package, idle excluded", () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const p: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", "") },
      { id: 2, callFrame: frame("(idle)", "") },
      { id: 3, callFrame: frame("encrypt", "file:///n/node_modules/werift/srtp.js") },
      { id: 4, callFrame: frame("packetize", "file:///w/publisher/media/h264_packetizer.ts") },
    ],
    startTime: 0,
    endTime: 100,
    samples: [3, 3, 4, 2, 3],
    timeDeltas: [0, 1000, 1000, 1000, 1000],
  };
  const s = summarizeProfile(p);
  assert.equal(s.totalMs, 3); // the last sample has no following delta; idle is excluded
  assert.equal(s.byFunction[0].name, "encrypt");
  assert.equal(Math.round(s.byFunction[0].percent), 67);
  assert.deepEqual(s.byPackage.map((r) => r.name), ["werift", "vigil:publisher"]);
});
