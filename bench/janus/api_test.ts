import assert from "node:assert/strict";
import { JanusError, parseReplies, pluginError } from "./api.ts";

Deno.test("parseReplies: one reply or a long poll's array", async (t) => {
  await t.step("a success with the new id", () => {
    const [r] = parseReplies('{"janus":"success","transaction":"t1","data":{"id":42}}');
    assert.equal(r.janus, "success");
    assert.equal(r.data?.id, 42);
  });
  await t.step("an event with Janus's offer", () => {
    const rs = parseReplies(JSON.stringify([
      { janus: "keepalive" },
      {
        janus: "event",
        sender: 7,
        transaction: "t2",
        plugindata: { plugin: "janus.plugin.streaming", data: { result: { status: "preparing" } } },
        jsep: { type: "offer", sdp: "v=0\r\n" },
      },
    ]));
    assert.equal(rs.length, 2);
    assert.equal(rs[1].jsep?.type, "offer");
    assert.equal(pluginError(rs[1]), null);
  });
  await t.step("not Janus's shape is refused", () => {
    assert.throws(() => parseReplies('{"transaction":"x"}'));
    assert.throws(() => parseReplies('{"janus":"event","jsep":{"type":"pranswer","sdp":""}}'));
    assert.throws(() => parseReplies("not json"), SyntaxError);
  });
});

Deno.test("pluginError: the streaming plugin's error in an event", () => {
  const [r] = parseReplies(JSON.stringify({
    janus: "event",
    plugindata: {
      plugin: "janus.plugin.streaming",
      data: { streaming: "event", error_code: 455, error: "No such mountpoint/stream 9" },
    },
  }));
  const e = pluginError(r);
  assert.ok(e instanceof JanusError);
  assert.equal(e.code, 455);
  assert.equal(e.message, "janus error 455: No such mountpoint/stream 9");
});
