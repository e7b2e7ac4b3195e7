import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { parsePublishArgs } from "./options.ts";
import { DEFAULT_VIEWER_NETS } from "./settings.ts";

Deno.test("publish options: defaults, flags over the config file", () => {
  const d = parsePublishArgs([], null);
  assert.equal(d.stateDir, `${Deno.cwd()}/device-state`);
  assert.equal(d.source.kind, "rpicam");
  assert.equal(d.maxViewers, 4);
  assert.equal(d.record, null);
  assert.deepEqual(d.viewerNets, DEFAULT_VIEWER_NETS);

  const file = JSON.stringify({
    source: { kind: "v4l2", fps: 25 },
    maxViewers: 8,
    camera: { label: "Door" },
    record: { dir: "/rec", segmentSeconds: 30 },
    network: { viewerNets: ["192.168.1.0/24"], icePortRange: [50000, 50100] },
  });
  const o = parsePublishArgs(
    ["--config=/etc/p.json", "--source", "synthetic", "--max-viewers=2", "--record", "/other"],
    file,
  );
  assert.equal(o.configFile, "/etc/p.json");
  assert.equal(o.source.kind, "synthetic");
  assert.equal(o.source.fps, 25, "the file's other source keys stay");
  assert.equal(o.maxViewers, 2);
  assert.equal(o.label, "Door");
  assert.deepEqual(o.record, {
    dir: "/other",
    segmentSeconds: 30,
    maxAgeDays: 7,
    maxTotalMB: 1024,
    upload: true,
    snapshotSeconds: 10,
    uploadKbps: 2000,
  });
  assert.deepEqual(o.viewerNets, ["192.168.1.0/24"]);
  assert.deepEqual(o.icePortRange, [50000, 50100]);
});

Deno.test("publish options: snapshots with recording by default, or on their own", () => {
  assert.equal(parsePublishArgs([], null).snapshotSeconds, 0, "no recording: none");
  assert.equal(parsePublishArgs(["--record", "/r"], null).snapshotSeconds, 10);
  assert.equal(parsePublishArgs(["--snapshots", "30"], null).snapshotSeconds, 30);
  assert.equal(parsePublishArgs(["--record", "/r", "--snapshots", "0"], null).snapshotSeconds, 0);
  assert.equal(
    parsePublishArgs([], JSON.stringify({ record: { dir: "/r", snapshotSeconds: 5 } }))
      .snapshotSeconds,
    5,
  );
  assert.throws(() => parsePublishArgs(["--snapshots", "-1"], null), UsageError);
});

Deno.test("publish options: bad input names the flag or the key", () => {
  const refuses = (argv: string[], file: string | null, re: RegExp) =>
    assert.throws(
      () => parsePublishArgs(argv, file),
      (e) => e instanceof UsageError && re.test(e.message),
    );
  refuses(["--source", "webcam"], null, /^--source: /);
  refuses(["--max-viewers", "65"], null, /^--max-viewers: /);
  refuses(["--max-viewers", "many"], null, /^--max-viewers must be a number/);
  refuses(
    ["--interface", "eth0"],
    null,
    /^--interface: must be one local IPv4 address a\.b\.c\.d \(not 0\.0\.0\.0, no wildcard\)$/,
  );
  refuses(["--viewer-net", "lan"], null, /^--viewer-net: must be an IP or CIDR$/);
  refuses(["--config", "p.json"], '{"source": {"kind": "file", "fps": 0}}', /p\.json: source\.fps/);
  refuses(
    ["--config", "p.json"],
    '{"network": {"viewerNet": []}}',
    /unknown setting "network\.viewerNet"/,
  );
});

Deno.test("publish options: --send-path", async (t) => {
  await t.step("direct by default", () => {
    assert.equal(parsePublishArgs([], null).sendPath, "direct");
  });
  await t.step("the config's sendPath, overridden by the command line", () => {
    const cfg = JSON.stringify({ sendPath: "werift" });
    assert.equal(parsePublishArgs([], cfg).sendPath, "werift");
    assert.equal(parsePublishArgs(["--send-path", "direct"], cfg).sendPath, "direct");
  });
  await t.step("anything else is a usage error naming the setting", () => {
    assert.throws(() => parsePublishArgs(["--send-path", "fast"], null), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /send-path|sendPath/);
      return true;
    });
    assert.throws(() => parsePublishArgs([], JSON.stringify({ sendPath: "fast" })), UsageError);
  });
});
