import assert from "node:assert/strict";
import { errors } from "@nats-io/transport-node";
import { BusError } from "./bus.ts";
import {
  busErrorOf,
  checkPrefix,
  decodeJson,
  decodeReply,
  encodeJson,
  encodeReply,
  isValidTopic,
  reconnectDelayMs,
  subjectOf,
} from "./nats_codec.ts";

Deno.test("nats codec: vigil's topics are subjects; wildcards and blanks are not", () => {
  for (const ok of ["presence", "camera.cam-1.offer", "session.4f1c2a9e-0000-4000.closed"]) {
    assert.ok(isValidTopic(ok), ok);
  }
  for (
    const bad of ["", "a b", "a..b", ".a", "a.", "cam.*", "cam.>", "_x", "a\nb", "x".repeat(257)]
  ) {
    assert.ok(!isValidTopic(bad), JSON.stringify(bad));
  }
  assert.equal(subjectOf("vigil", "camera.c1.offer"), "vigil.camera.c1.offer");
  assert.throws(() => subjectOf("vigil", "cam.*"), TypeError);
  assert.equal(checkPrefix("vigil.site-a"), "vigil.site-a");
  assert.throws(() => checkPrefix("vigil.>"), TypeError);
});

Deno.test("nats codec: JSON and reply envelopes", () => {
  assert.deepEqual(decodeJson(encodeJson({ a: [1, "é"] })), { a: [1, "é"] });
  assert.equal(decodeJson(encodeJson(undefined)), null);
  const round = (r: Parameters<typeof encodeReply>[0]) => decodeReply(encodeReply(r));
  assert.deepEqual(round({ ok: true, value: { sdp: "v=0" } }), { ok: true, value: { sdp: "v=0" } });
  assert.deepEqual(round({ ok: true, value: undefined }), { ok: true, value: undefined });
  assert.deepEqual(round({ ok: true, value: null }), { ok: true, value: null });
  assert.deepEqual(round({ ok: false, error: "busy" }), { ok: false, error: "busy" });
  const bytes = (s: string) => new TextEncoder().encode(s);
  const malformed = { ok: false, error: "bus: malformed reply" };
  assert.deepEqual(decodeReply(bytes("nope")), { ok: false, error: "bus: reply is not JSON" });
  assert.deepEqual(decodeReply(bytes('{"ok":false,"error":5}')), malformed);
  assert.deepEqual(decodeReply(bytes('{"ok":"yes"}')), malformed);
  assert.deepEqual(decodeReply(bytes("[1]")), malformed);
  assert.deepEqual(decodeReply(bytes("null")), malformed);
});

Deno.test("nats codec: reconnect backoff doubles to a 2 s cap, jittered ±20 %", () => {
  assert.equal(reconnectDelayMs(1, () => 0.5), 100);
  assert.equal(reconnectDelayMs(2, () => 0.5), 200);
  assert.equal(reconnectDelayMs(5, () => 0.5), 1600);
  assert.equal(reconnectDelayMs(6, () => 0.5), 2000);
  assert.equal(reconnectDelayMs(60, () => 0.5), 2000);
  assert.equal(reconnectDelayMs(1, () => 0), 80);
  assert.equal(reconnectDelayMs(1, () => 1), 120);
});

Deno.test("nats codec: NATS request errors become BusErrors", () => {
  const noResp = new errors.RequestError("no responders", {
    cause: new errors.NoRespondersError("vigil.x"),
  });
  const e1 = busErrorOf("x", noResp, 100);
  assert.ok(e1 instanceof BusError && e1.code === "no_responder");
  const e2 = busErrorOf("x", new errors.TimeoutError(), 100);
  assert.ok(e2 instanceof BusError && e2.code === "timeout");
  assert.match(e2.message, /within 100 ms/);
  const e3 = busErrorOf("x", new errors.RequestError("connection disconnected"), 100);
  assert.ok(e3 instanceof BusError && e3.code === "no_responder");
  assert.match(e3.message, /bus unavailable for x: connection disconnected/);
});
