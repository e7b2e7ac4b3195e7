import assert from "node:assert/strict";
import { janusConfigFiles, jcfgFile, jcfgValue } from "./config.ts";

const base = {
  configsDir: "/tmp/j/conf",
  pluginsDir: "/tmp/j/plugins",
  transportsDir: "/tmp/j/transports",
  emptyDir: "/tmp/j/none",
  httpPort: 18088,
  iceAddress: "192.0.2.2",
  rtpPort: 15004,
};

Deno.test("jcfg syntax", async (t) => {
  await t.step("values: quoted strings with escapes, booleans, integers", () => {
    assert.equal(jcfgValue('a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.equal(jcfgValue(true), "true");
    assert.equal(jcfgValue(42), "42");
  });
  await t.step("groups nest with tabs; an empty group is {}", () => {
    assert.equal(
      jcfgFile({ general: { a: 1, sub: { b: "x" } }, cors: {} }),
      'general: {\n\ta = 1\n\tsub: {\n\t\tb = "x"\n\t}\n}\ncors: {\n}\n',
    );
  });
  await t.step("refuses what libconfig would misread", () => {
    assert.throws(() => jcfgValue("line\nbreak"), /control character/);
    assert.throws(() => jcfgValue(1.5), /integers/);
    assert.throws(() => jcfgFile({ "bad key": {} }), /invalid config group/);
    assert.throws(() => jcfgFile({ g: { "a=b": 1 } }), /invalid config key/);
  });
});

Deno.test("janusConfigFiles", async (t) => {
  const files = janusConfigFiles(base);
  await t.step("three files: core, HTTP transport, streaming plugin", () => {
    assert.deepEqual(Object.keys(files).sort(), [
      "janus.jcfg",
      "janus.plugin.streaming.jcfg",
      "janus.transport.http.jcfg",
    ]);
  });
  await t.step("core: only the given folders, ICE on the one address, no IPv6", () => {
    const core = files["janus.jcfg"];
    assert.match(core, /\tconfigs_folder = "\/tmp\/j\/conf"\n/);
    assert.match(core, /\tplugins_folder = "\/tmp\/j\/plugins"\n/);
    assert.match(core, /\ttransports_folder = "\/tmp\/j\/transports"\n/);
    assert.match(core, /\tevents_folder = "\/tmp\/j\/none"\n/);
    assert.match(core, /nat: \{[^}]*\tice_enforce_list = "192\.0\.2\.2"\n/);
    assert.match(core, /media: \{[^}]*\tipv6 = false\n/);
    assert.match(core, /\tdebug_level = 3\n/);
    assert.doesNotMatch(core, /admin_secret/);
  });
  await t.step("HTTP API on loopback only, plain HTTP, no admin API", () => {
    const http = files["janus.transport.http.jcfg"];
    assert.match(http, /\tport = 18088\n/);
    assert.match(http, /\tip = "127\.0\.0\.1"\n/);
    assert.match(http, /\thttps = false\n/);
    assert.match(http, /\tadmin_http = false\n/);
  });
  await t.step("one RTP H.264 mountpoint on loopback with the keyframe buffer", () => {
    const s = files["janus.plugin.streaming.jcfg"];
    assert.match(s, /^bench: \{$/m);
    assert.match(s, /\ttype = "rtp"\n/);
    assert.match(s, /\tid = 1\n/);
    assert.match(s, /\tvideoport = 15004\n/);
    assert.match(s, /\tvideoiface = "127\.0\.0\.1"\n/);
    assert.match(s, /\tvideopt = 96\n/);
    assert.match(s, /\tvideocodec = "h264"\n/);
    assert.match(s, /\tvideofmtp = "profile-level-id=42e01f;packetization-mode=1"\n/);
    assert.match(s, /\tvideobufferkf = true\n/);
    assert.match(s, /\taudio = false\n/);
  });
  await t.step("options change what they should", () => {
    const f = janusConfigFiles({
      ...base,
      keyframeBuffer: false,
      payloadType: 100,
      mountpointId: 7,
      debugLevel: 5,
    });
    assert.match(f["janus.plugin.streaming.jcfg"], /\tvideobufferkf = false\n/);
    assert.match(f["janus.plugin.streaming.jcfg"], /\tvideopt = 100\n/);
    assert.match(f["janus.plugin.streaming.jcfg"], /\tid = 7\n/);
    assert.match(f["janus.jcfg"], /\tdebug_level = 5\n/);
  });
  await t.step("bad options are refused with what is wrong", () => {
    assert.throws(() => janusConfigFiles({ ...base, httpPort: 0 }), /httpPort must be a port/);
    assert.throws(() => janusConfigFiles({ ...base, rtpPort: 70000 }), /rtpPort must be a port/);
    assert.throws(() => janusConfigFiles({ ...base, iceAddress: "::1" }), /IPv4 address/);
    assert.throws(() => janusConfigFiles({ ...base, iceAddress: "10.0.0.256" }), /IPv4 address/);
    assert.throws(() => janusConfigFiles({ ...base, payloadType: 8 }), /dynamic type/);
    assert.throws(() => janusConfigFiles({ ...base, debugLevel: 9 }), /debugLevel/);
    assert.throws(() => janusConfigFiles({ ...base, mountpointId: 0 }), /mountpointId/);
    assert.throws(
      () => janusConfigFiles({ ...base, configsDir: "/tmp/x\n" }),
      /control character/,
    );
  });
});
