import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { RtpPacket, SrtpSession } from "werift";
import { mulberry32 } from "../../tests/helpers/prng.ts";
import { SrtpGcmProtector } from "../srtp/srtp_gcm.ts";
import { gcmSessionKeys } from "../srtp/srtp_kdf.ts";
import { DirectRtpSender } from "./direct_rtp_sender.ts";
import type { RtpFragment } from "../media/h264_packetizer.ts";

const AEAD_AES_128_GCM = 7;
const SSRC = 0xdeadbeef;

function setup(initialSequenceNumber: number, historySize = 64) {
  const rand = mulberry32(initialSequenceNumber);
  const masterKey = Buffer.from(Array.from({ length: 16 }, () => Math.floor(rand() * 256)));
  const masterSalt = Buffer.from(Array.from({ length: 12 }, () => Math.floor(rand() * 256)));
  const keys = gcmSessionKeys(masterKey, masterSalt);
  const receiver = new SrtpSession({
    keys: {
      localMasterKey: masterKey,
      localMasterSalt: masterSalt,
      remoteMasterKey: masterKey,
      remoteMasterSalt: masterSalt,
    },
    profile: AEAD_AES_128_GCM,
  });
  const wire: Uint8Array[] = [];
  let connected = true;
  const sender = new DirectRtpSender({
    ssrc: SSRC,
    payloadType: 102,
    initialSequenceNumber,
    protector: new SrtpGcmProtector(keys.key, keys.salt, SSRC),
    writer: () => connected ? (b) => wire.push(b.slice()) : null,
    historySize,
  });
  const decrypt = (b: Uint8Array) => RtpPacket.deSerialize(receiver.decrypt(Buffer.from(b)));
  return { sender, wire, decrypt, setConnected: (c: boolean) => (connected = c), rand };
}

/** Fragments of these payload sizes; every other one with a 2-byte prefix (as FU-A has). */
function unit(rand: () => number, sizes: number[]): RtpFragment[] {
  return sizes.map((n, i) => {
    const prefixLength = i % 2 === 1 && n >= 2 ? 2 : 0;
    const bytes = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    return {
      prefixLength,
      prefix0: bytes[0],
      prefix1: bytes[1],
      body: bytes.subarray(prefixLength),
      marker: i === sizes.length - 1,
    };
  });
}

/** The RTP payload a fragment stands for. */
const payloadOf = (f: RtpFragment) =>
  f.prefixLength ? [f.prefix0, f.prefix1, ...f.body] : [...f.body];

Deno.test("DirectRtpSender: SRTP a receiver decrypts to the same RTP, across a sequence wrap", () => {
  const { sender, wire, decrypt, rand } = setup(65530);
  const units = [unit(rand, [1200, 1200, 500]), unit(rand, [300]), unit(rand, [1200, 7, 1200, 90])];
  const sent: RtpFragment[] = [];
  units.forEach((u, i) => {
    assert.equal(sender.sendAccessUnit(u, 4_294_967_000 + i * 3000), true);
    sent.push(...u);
  });
  assert.equal(wire.length, 8);
  const packets = wire.map(decrypt);
  packets.forEach((p, i) => {
    assert.equal(p.header.sequenceNumber, (65530 + i) & 0xffff);
    assert.equal(p.header.ssrc, SSRC);
    assert.equal(p.header.payloadType, 102);
    assert.equal(p.header.marker, sent[i].marker);
    assert.deepEqual([...p.payload], payloadOf(sent[i]));
  });
  // The timestamp wraps at 32 bits.
  assert.deepEqual(packets.map((p) => p.header.timestamp), [
    4_294_967_000,
    4_294_967_000,
    4_294_967_000,
    (4_294_967_000 + 3000) >>> 0,
    (4_294_967_000 + 6000) >>> 0,
    (4_294_967_000 + 6000) >>> 0,
    (4_294_967_000 + 6000) >>> 0,
    (4_294_967_000 + 6000) >>> 0,
  ]);
  const s = sender.stats;
  assert.equal(s.packets, 8);
  assert.equal(s.payloadBytes, sent.reduce((n, p) => n + payloadOf(p).length, 0));
});

Deno.test("DirectRtpSender: NACKed packets resent byte for byte while in the history", async (t) => {
  const { sender, wire, decrypt, rand } = setup(100, 16);
  for (let i = 0; i < 4; i++) sender.sendAccessUnit(unit(rand, [800, 800]), i * 3000);
  const original = wire.slice();
  await t.step("in the history: identical bytes", () => {
    wire.length = 0;
    assert.equal(sender.retransmit([101, 105]), 2);
    assert.deepEqual(wire, [original[1], original[5]]);
    assert.equal(decrypt(wire[0]).header.sequenceNumber, 101);
  });
  await t.step("overwritten or never sent: counted, not sent", () => {
    for (let i = 0; i < 8; i++) sender.sendAccessUnit(unit(rand, [100, 100]), 1e5 + i);
    wire.length = 0;
    assert.equal(sender.retransmit([100, 5000]), 0);
    assert.equal(wire.length, 0);
    assert.equal(sender.stats.unrecoverable, 2);
    assert.equal(sender.stats.retransmitted, 2);
  });
});

Deno.test("DirectRtpSender: without a writer nothing is sent and no sequence number is used", () => {
  const { sender, wire, decrypt, setConnected, rand } = setup(7);
  setConnected(false);
  assert.equal(sender.sendAccessUnit(unit(rand, [100, 100]), 0), false);
  assert.equal(sender.stats.dropped, 2);
  setConnected(true);
  sender.sendAccessUnit(unit(rand, [100]), 3000);
  assert.equal(decrypt(wire[0]).header.sequenceNumber, 7);
});

Deno.test("DirectRtpSender: bad sizes are refused", () => {
  assert.throws(() => setup(1, 100), RangeError);
  const { sender, rand } = setup(1, 16);
  assert.throws(() => sender.sendAccessUnit(unit(rand, [1201]), 0), RangeError);
  assert.throws(() => sender.sendAccessUnit(unit(rand, new Array(17).fill(10)), 0), RangeError);
});
