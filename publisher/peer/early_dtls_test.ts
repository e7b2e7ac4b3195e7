import assert from "node:assert/strict";
import { Event } from "werift";
import {
  EARLY_DTLS_MAX_RECORDS,
  type EarlyDtlsTransport,
  isDtlsRecord,
  keepEarlyDtls,
} from "./early_dtls.ts";

/**
 * A stand-in with werift's own `Event`s, driven the way werift's
 * `RTCDtlsTransport.start()` drives them: "connecting", then (synchronously)
 * the DTLS server exists and subscribes to the ICE connection's data.
 */
function transport() {
  const onData = new Event<[Uint8Array]>();
  const onStateChange = new Event<[string]>();
  const t = {
    state: "new",
    dtls: undefined as unknown,
    onStateChange,
    iceTransport: { connection: { onData } },
  };
  const seenByServer: number[] = [];
  const start = () => {
    t.state = "connecting";
    onStateChange.execute("connecting");
    t.dtls = {};
    onData.subscribe((d) => seenByServer.push(d[1]));
  };
  return { t: t as EarlyDtlsTransport & typeof t, onData, seenByServer, start };
}

const record = (id: number, first = 22) => new Uint8Array([first, id, 0xfe, 0xfd]);
const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("keepEarlyDtls", async (t) => {
  await t.step("DTLS records that came before start reach the server, once, in order", async () => {
    const { t, onData, seenByServer, start } = transport();
    keepEarlyDtls(t);
    onData.execute(record(1));
    onData.execute(record(2, 128)); // RTP: not DTLS, not kept
    onData.execute(record(3));
    start();
    await tick();
    assert.deepEqual(seenByServer, [1, 3]);
    onData.execute(record(4)); // later records go straight to the server
    await tick();
    assert.deepEqual(seenByServer, [1, 3, 4]);
  });

  await t.step("at most EARLY_DTLS_MAX_RECORDS are kept", async () => {
    const { t, onData, seenByServer, start } = transport();
    keepEarlyDtls(t);
    for (let i = 0; i < EARLY_DTLS_MAX_RECORDS + 5; i++) onData.execute(record(i));
    start();
    await tick();
    assert.equal(seenByServer.length, EARLY_DTLS_MAX_RECORDS);
  });

  await t.step("a released or closed transport replays nothing", async () => {
    const a = transport();
    const release = keepEarlyDtls(a.t);
    a.onData.execute(record(1));
    release();
    a.start();
    await tick();
    assert.deepEqual(a.seenByServer, []);
    const b = transport();
    keepEarlyDtls(b.t);
    b.onData.execute(record(1));
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
