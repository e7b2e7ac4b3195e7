import assert from "node:assert/strict";
import { Event } from "werift";
import {
  EARLY_DTLS_MAX_RECORDS,
  guardDtls,
  type GuardedDtlsTransport,
  isDtlsRecord,
} from "./dtls_guard.ts";

/**
 * A stand-in with werift's own `Event`s, driven the way werift's
 * `RTCDtlsTransport.start()` drives them: "connecting", then (synchronously)
 * the DTLS server exists, installs its callback on the transport socket, and
 * the ICE connection's data reaches it through that callback.
 */
function transport(role = "server") {
  const onData = new Event<[Uint8Array]>();
  const onStateChange = new Event<[string]>();
  const seenByServer: string[] = [];
  const t = {
    state: "new",
    role,
    dtls: undefined as { transport: { socket: { onData: (d: Uint8Array) => void } } } | undefined,
    onStateChange,
    iceTransport: { connection: { onData } },
  };
  const start = () => {
    t.state = "connecting";
    onStateChange.execute("connecting");
    const socket = { onData: (d: Uint8Array) => seenByServer.push(describe(d)) };
    t.dtls = { transport: { socket } };
    onData.subscribe((d) => isDtlsRecord(d) && socket.onData(d));
  };
  return { t: t as unknown as GuardedDtlsTransport & typeof t, onData, seenByServer, start };
}

/** One DTLS record: handshake `msgType` (epoch 0) with `messageSeq`, record sequence `seq`. */
function handshake(msgType: number, messageSeq: number, seq = 0): Uint8Array {
  const body = new Uint8Array(12 + 4);
  body[0] = msgType;
  body[5] = messageSeq;
  const r = new Uint8Array(13 + body.length);
  r.set([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, seq, 0, body.length]);
  r.set(body, 13);
  return r;
}
function describe(d: Uint8Array): string {
  return d[0] === 22 ? `hs${d[13]}#${d[18]}` : `ct${d[0]}`;
}
const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("guardDtls", async (t) => {
  await t.step("early records reach the server once started, one copy each, in order", async () => {
    const { t, onData, seenByServer, start } = transport();
    guardDtls(t);
    onData.execute(handshake(1, 0, 1));
    onData.execute(handshake(1, 0, 2)); // the client's retransmission: same hello
    onData.execute(new Uint8Array([128, 1, 2, 3])); // RTP: not DTLS, not kept
    start();
    await tick();
    assert.deepEqual(seenByServer, ["hs1#0"]);
    onData.execute(handshake(1, 1)); // later records go straight to the server
    assert.deepEqual(seenByServer, ["hs1#0", "hs1#1"]);
  });

  await t.step("at most EARLY_DTLS_MAX_RECORDS are kept", async () => {
    const { t, onData, seenByServer, start } = transport();
    guardDtls(t);
    for (let i = 0; i < EARLY_DTLS_MAX_RECORDS + 5; i++) onData.execute(handshake(20 + i, i));
    start();
    await tick();
    assert.equal(seenByServer.length, EARLY_DTLS_MAX_RECORDS);
  });

  await t.step("retransmitted flights are filtered in front of the server", async () => {
    const { t, onData, seenByServer, start } = transport();
    guardDtls(t);
    start();
    await tick();
    onData.execute(handshake(1, 1));
    onData.execute(handshake(1, 0)); // stale hello without cookie
    onData.execute(handshake(16, 2));
    onData.execute(handshake(16, 2, 9)); // copy of the key exchange
    assert.deepEqual(seenByServer, ["hs1#1", "hs16#2"]);
  });

  await t.step("as DTLS client werift's records are not filtered", async () => {
    const { t, onData, seenByServer, start } = transport("client");
    guardDtls(t);
    start();
    await tick();
    onData.execute(handshake(11, 2));
    onData.execute(handshake(11, 2, 5));
    assert.deepEqual(seenByServer, ["hs11#2", "hs11#2"]);
  });

  await t.step("a released or closed transport keeps and replays nothing", async () => {
    const a = transport();
    const release = guardDtls(a.t);
    a.onData.execute(handshake(1, 0));
    release();
    a.start();
    await tick();
    assert.deepEqual(a.seenByServer, []);
    const b = transport();
    guardDtls(b.t);
    b.onData.execute(handshake(1, 0));
    b.t.state = "closed";
    b.t.onStateChange.execute("closed");
    b.start();
    await tick();
    assert.deepEqual(b.seenByServer, []);
  });

  await t.step("isDtlsRecord follows RFC 7983 (20-63)", () => {
    assert.equal(isDtlsRecord(new Uint8Array([19])), false);
    assert.equal(isDtlsRecord(new Uint8Array([20])), true);
    assert.equal(isDtlsRecord(new Uint8Array([63])), true);
    assert.equal(isDtlsRecord(new Uint8Array([64])), false);
    assert.equal(isDtlsRecord(new Uint8Array([])), false);
  });
});
