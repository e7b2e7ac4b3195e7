import assert from "node:assert/strict";
import { ClientFlightFilter, splitRecords } from "./dtls_records.ts";

/** A record: content type, epoch, and for epoch-0 handshakes a header (msgType, messageSeq, offset). */
function record(type: number, epoch: number, hs?: [number, number, number], seq = 0): Uint8Array {
  const body = new Uint8Array(hs ? 16 : 8);
  if (hs) {
    body[0] = hs[0];
    body[4] = hs[1] >> 8;
    body[5] = hs[1] & 0xff;
    body[6] = (hs[2] >> 16) & 0xff;
    body[7] = (hs[2] >> 8) & 0xff;
    body[8] = hs[2] & 0xff;
  }
  const r = new Uint8Array(13 + body.length);
  r.set([type, 0xfe, 0xfd, epoch >> 8, epoch & 0xff, 0, 0, 0, 0, 0, seq, 0, body.length]);
  r.set(body, 13);
  return r;
}
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Chromium's flight 5 in one datagram: Certificate, ClientKeyExchange, CertificateVerify, CCS, Finished. */
const flight5 = (seq: number) =>
  concat(
    record(22, 0, [11, 2, 0], seq),
    record(22, 0, [16, 3, 0], seq + 1),
    record(22, 0, [15, 4, 0], seq + 2),
    record(20, 0, undefined, seq + 3),
    record(22, 1),
  );

Deno.test("splitRecords reads record and handshake headers", () => {
  const records = splitRecords(flight5(1))!;
  assert.deepEqual(records.map((r) => [r.contentType, r.epoch, r.handshake?.msgType]), [
    [22, 0, 11],
    [22, 0, 16],
    [22, 0, 15],
    [20, 0, undefined],
    [22, 1, undefined],
  ]);
  assert.equal(records[1].handshake!.messageSeq, 3);
  assert.equal(splitRecords(new Uint8Array([22, 0xfe, 0xfd])), null, "truncated header");
  const cut = flight5(1).subarray(0, 40);
  assert.equal(splitRecords(cut), null, "record longer than the datagram");
  assert.equal(splitRecords(new Uint8Array(20).fill(128)), null, "not DTLS");
});

Deno.test("ClientFlightFilter", async (t) => {
  await t.step("a copy of flight 5 passes only its Finished (werift resends flight 6)", () => {
    const f = new ClientFlightFilter();
    const first = flight5(10);
    assert.equal(f.pass(first, false), first, "the first copy passes whole");
    const again = f.pass(flight5(20), false)!;
    const kept = splitRecords(again)!;
    assert.deepEqual(kept.map((r) => [r.contentType, r.epoch]), [[20, 0], [22, 1]]);
  });

  await t.step("fragments of one message at different offsets all pass once", () => {
    const f = new ClientFlightFilter();
    const a = record(22, 0, [11, 2, 0]);
    const b = record(22, 0, [11, 2, 1200]);
    assert.ok(f.pass(a, false));
    assert.ok(f.pass(b, false));
    assert.equal(f.pass(record(22, 0, [11, 2, 1200], 7), false), null);
  });

  await t.step(
    "ClientHello: cookie-less copies die once the cookie came; none once connected",
    () => {
      const f = new ClientFlightFilter();
      assert.ok(f.pass(record(22, 0, [1, 0, 0]), false));
      assert.ok(
        f.pass(record(22, 0, [1, 0, 0], 1), false),
        "before the cookie: werift answers again",
      );
      assert.ok(f.pass(record(22, 0, [1, 1, 0]), false));
      assert.ok(
        f.pass(record(22, 0, [1, 1, 0], 2), false),
        "a copy with cookie: werift resends flight 4",
      );
      assert.equal(f.pass(record(22, 0, [1, 0, 0], 3), false), null);
      assert.equal(f.pass(record(22, 0, [1, 1, 0], 4), true), null, "no renegotiation");
    },
  );

  await t.step("other records and malformed datagrams pass unchanged", () => {
    const f = new ClientFlightFilter();
    const alert = record(21, 1);
    assert.equal(f.pass(alert, true), alert);
    const junk = new Uint8Array([22, 1, 2]);
    assert.equal(f.pass(junk, false), junk);
  });
});
