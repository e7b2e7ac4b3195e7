import assert from "node:assert/strict";
import { DeviceMessage } from "../../signaling/devices/messages.ts";
import {
  backoffDelay,
  deviceFrames,
  parseServerFrame,
  RestartReplySchema,
} from "./channel_messages.ts";

Deno.test("parseServerFrame validates and defaults", () => {
  assert.deepEqual(parseServerFrame('{"type":"welcome","deviceId":"cam-1"}'), {
    type: "welcome",
    deviceId: "cam-1",
    heartbeatMs: 3000,
    iceServers: [],
  });
  assert.equal(parseServerFrame('{"type":"offer","sessionId":"x"}'), null);
  assert.equal(parseServerFrame("nope"), null);
  assert.equal(parseServerFrame('{"type":"evil"}'), null);
});

Deno.test("device frames match the server's strict schemas", () => {
  const sid = crypto.randomUUID();
  for (
    const f of [
      deviceFrames.hello(
        { label: "x", width: 1280, height: 720, fps: 30 },
        "vigil-publisher/0.1",
        4,
      ),
      deviceFrames.heartbeat(Date.now()),
      deviceFrames.answer(sid, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"),
      deviceFrames.reject(sid, 503, "busy ".repeat(100)),
      deviceFrames.close(sid, "no media delivered"),
    ]
  ) {
    assert.ok(DeviceMessage.safeParse(JSON.parse(f)).success, f.slice(0, 80));
  }
});

Deno.test("restart frames: the server's request and the device's replies", () => {
  const sid = crypto.randomUUID();
  const sdpfrag = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n";
  assert.deepEqual(
    parseServerFrame(JSON.stringify({ type: "restart", sessionId: sid, sdpfrag })),
    { type: "restart", sessionId: sid, sdpfrag },
  );
  assert.equal(parseServerFrame(JSON.stringify({ type: "restart", sessionId: sid })), null);
  assert.equal(
    parseServerFrame(
      JSON.stringify({ type: "restart", sessionId: sid, sdpfrag: "x".repeat(17_000) }),
    ),
    null,
  );
  for (
    const f of [
      deviceFrames.restarted(sid, sdpfrag),
      deviceFrames.restartFailed(sid, 400, "cannot restart ICE: ".repeat(20)),
    ]
  ) {
    assert.ok(RestartReplySchema.safeParse(JSON.parse(f)).success, f.slice(0, 80));
  }
});

Deno.test("backoffDelay grows exponentially with jitter, capped at 30 s", () => {
  assert.equal(backoffDelay(0, {}, () => 0), 250);
  assert.equal(backoffDelay(0, {}, () => 1), 500);
  assert.equal(backoffDelay(3, {}, () => 1), 4000);
  assert.equal(backoffDelay(20, {}, () => 1), 30_000);
  assert.equal(backoffDelay(20, {}, () => 0), 15_000);
  assert.equal(backoffDelay(1000, {}, () => 0.5), 22_500);
});
