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

Deno.test("device messages: ICE restart replies and session states (issue 14)", async (t) => {
  const sessionId = crypto.randomUUID();
  const parse = (m: Record<string, unknown>) => parseDeviceMessage(JSON.stringify(m));
  await t.step("valid ones parse", () => {
    for (
      const m of [
        { type: "restarted", sessionId, sdpfrag: "a=ice-ufrag:abcd\r\na=ice-pwd:x\r\n" },
        { type: "restart-failed", sessionId, status: 409, message: "restart in progress" },
        {
          type: "session",
          sessionId,
          state: "connected",
          pair: { local: "host", remote: "prflx" },
        },
        {
          type: "session",
          sessionId,
          state: "connected",
          pair: { local: "relay", remote: "srflx" },
        },
      ]
    ) {
      const r = parse(m);
      assert.ok(r.ok, JSON.stringify(m));
    }
  });
  await t.step("malformed ones are refused", () => {
    for (
      const m of [
        { type: "restarted", sessionId, sdpfrag: "" },
        { type: "restarted", sessionId: "not-a-uuid", sdpfrag: "a=ice-ufrag:abcd\r\n" },
        { type: "restarted", sessionId, sdpfrag: "x".repeat(17 * 1024) },
        { type: "restart-failed", sessionId, status: 500, message: "?" },
        { type: "restart-failed", sessionId, status: 409 },
        { type: "session", sessionId, state: "closed", pair: { local: "host", remote: "host" } },
        { type: "session", sessionId, state: "connected", pair: { local: "host" } },
        // Addresses are not the server's business: only candidate types.
        {
          type: "session",
          sessionId,
          state: "connected",
          pair: { local: "host", remote: "host", address: "192.0.2.1" },
        },
        { type: "session", sessionId, state: "connected", pair: { local: "mdns", remote: "host" } },
      ]
    ) {
      assert.equal(parse(m).ok, false, JSON.stringify(m));
    }
  });
});
