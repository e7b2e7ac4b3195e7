import assert from "node:assert/strict";
import { parseDeviceMessage } from "./messages.ts";

Deno.test("device messages: valid frames parse", () => {
  const r = parseDeviceMessage(
    JSON.stringify({ type: "hello", version: "1", camera: { label: "Door" } }),
  );
  assert.ok(r.ok);
  const hb = parseDeviceMessage(JSON.stringify({ type: "heartbeat", t: 1 }));
  assert.ok(hb.ok);
  const limited = parseDeviceMessage(
    JSON.stringify({ type: "hello", version: "1", camera: {}, maxViewers: 4 }),
  );
  assert.ok(limited.ok && limited.message.type === "hello" && limited.message.maxViewers === 4);
});

Deno.test("device messages: malformed frames get a one-line reason", () => {
  for (
    const bad of [
      "not json",
      "null",
      "[]",
      '{"type":"nope"}',
      '{"type":"heartbeat"}',
      '{"type":"answer","sessionId":"x","sdp":"v=0........"}',
      '{"type":"heartbeat","t":1,"extra":true}',
      '{"type":"hello","version":"1","camera":{},"maxViewers":0}',
      '{"type":"hello","version":"1","camera":{},"maxViewers":65}',
      "x".repeat(70_000),
    ]
  ) {
    const r = parseDeviceMessage(bad);
    assert.equal(r.ok, false, bad.slice(0, 40));
    if (!r.ok) assert.match(r.error, /^(message|invalid)/);
  }
});
