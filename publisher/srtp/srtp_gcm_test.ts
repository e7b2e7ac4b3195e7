import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createCipheriv } from "node:crypto";
import { RtpHeader, SrtpSession } from "werift";
import { mulberry32 } from "../../tests/helpers/prng.ts";
import { GCM_TAG_BYTES, SrtpGcmProtector, type SrtpPacketSlot } from "./srtp_gcm.ts";
import { Ghash } from "./ghash.ts";
import { gcmSessionKeys } from "./srtp_kdf.ts";
import { AesEcb } from "./aes_ecb.ts";

/** werift's profile number for SRTP_AEAD_AES_128_GCM (RFC 7714 §14.2: 0x0007). */
const AEAD_AES_128_GCM = 7;

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

function rtpHeader(seq: number, ts: number, ssrc: number, marker: boolean): Uint8Array {
  const h = new Uint8Array(12);
  const v = new DataView(h.buffer);
  h[0] = 0x80;
  h[1] = (marker ? 0x80 : 0) | 96;
  v.setUint16(2, seq);
  v.setUint32(4, ts);
  v.setUint32(8, ssrc);
  return h;
}

/** A slot; every other one with the Int32Array view (the word path), the rest bytes only. */
let slotCount = 0;
function slot(header: Uint8Array, payload: Uint8Array, roc = 0): SrtpPacketSlot {
  const size = header.length + payload.length + GCM_TAG_BYTES;
  const bytes = new Uint8Array((size + 3) & ~3);
  bytes.set(header);
  bytes.set(payload, header.length);
  const words = slotCount++ % 2 === 0 ? new Int32Array(bytes.buffer) : undefined;
  return { bytes, headerLength: header.length, payloadLength: payload.length, roc, words };
}

Deno.test("Ghash + AesEcb: the same tag and ciphertext as node:crypto's AES-128-GCM", async (t) => {
  const rand = mulberry32(7);
  for (const [aadLen, ptLen] of [[12, 0], [12, 1], [12, 16], [16, 1188], [20, 1200], [13, 31]]) {
    await t.step(`aad ${aadLen}, plaintext ${ptLen}`, () => {
      const key = randomBytes(rand, 16), iv = randomBytes(rand, 12);
      const aad = randomBytes(rand, aadLen), pt = randomBytes(rand, ptLen);
      const ref = createCipheriv("aes-128-gcm", key, iv);
      ref.setAAD(aad);
      const expected = Buffer.concat([ref.update(pt), ref.final(), ref.getAuthTag()]);

      const aes = new AesEcb(key);
      const g = new Ghash(aes.encrypt(new Uint8Array(16)));
      const blocks = 1 + Math.ceil(ptLen / 16);
      const ctr = new Uint8Array(blocks * 16);
      for (let j = 0; j < blocks; j++) {
        ctr.set(iv, j * 16);
        new DataView(ctr.buffer).setUint32(j * 16 + 12, j + 1);
      }
      const ks = aes.encrypt(ctr);
      const out = new Uint8Array(ptLen + 16);
      for (let i = 0; i < ptLen; i++) out[i] = pt[i] ^ ks[16 + i];
      g.absorb(aad, 0, aadLen);
      g.absorb(out, 0, ptLen);
      g.lengths(aadLen, ptLen);
      g.finishInto(out, ptLen, ks, 0);
      assert.deepEqual([...out], [...expected]);
    });
  }
});

Deno.test("SrtpGcmProtector: byte-identical to werift's SRTP, and werift decrypts it", async (t) => {
  const rand = mulberry32(42);
  const masterKey = Buffer.from(randomBytes(rand, 16));
  const masterSalt = Buffer.from(randomBytes(rand, 12));
  const keys = {
    localMasterKey: masterKey,
    localMasterSalt: masterSalt,
    remoteMasterKey: masterKey,
    remoteMasterSalt: masterSalt,
  };
  const ssrc = 0x1234abcd;
  const { key, salt } = gcmSessionKeys(masterKey, masterSalt);
  const mine = new SrtpGcmProtector(key, salt, ssrc);

  await t.step("a batch of packets of different sizes, across a sequence wrap", () => {
    const werift = new SrtpSession({ keys, profile: AEAD_AES_128_GCM });
    const receiver = new SrtpSession({ keys, profile: AEAD_AES_128_GCM });
    const sizes = [1, 15, 16, 17, 300, 1188, 1200, 2, 900];
    const seqs = [65532, 65533, 65534, 65535, 0, 1, 2, 3, 4];
    const slots: SrtpPacketSlot[] = [];
    const plain: Uint8Array[] = [];
    const headers: Uint8Array[] = [];
    for (let k = 0; k < sizes.length; k++) {
      const header = rtpHeader(seqs[k], 90000 + k, ssrc, k === sizes.length - 1);
      const payload = randomBytes(rand, sizes[k]);
      headers.push(header);
      plain.push(payload);
      slots.push(slot(header, payload, seqs[k] < 100 ? 1 : 0));
    }
    mine.protect(slots);
    for (let k = 0; k < slots.length; k++) {
      const rtp = RtpHeader.deSerialize(Buffer.from(headers[k]));
      const expected = werift.encrypt(Buffer.from(plain[k]), rtp);
      const wire = slots[k].bytes.subarray(0, 12 + sizes[k] + GCM_TAG_BYTES);
      assert.deepEqual([...wire], [...expected], `packet ${k}`);
      const decrypted = receiver.decrypt(Buffer.from(wire));
      assert.deepEqual([...decrypted.subarray(12)], [...plain[k]], `decrypted ${k}`);
    }
  });

  await t.step("a flipped bit fails werift's authentication", () => {
    const receiver = new SrtpSession({ keys, profile: AEAD_AES_128_GCM });
    const s = slot(rtpHeader(10, 1, ssrc, true), randomBytes(rand, 100));
    mine.protect([s]);
    s.bytes[40] ^= 1;
    assert.throws(() => receiver.decrypt(Buffer.from(s.bytes.subarray(0, 12 + 100 + 16))));
  });

  await t.step("a slot without room for the tag is refused", () => {
    const header = rtpHeader(1, 1, ssrc, false);
    const bad = { bytes: new Uint8Array(20), headerLength: 12, payloadLength: 8, roc: 0 };
    bad.bytes.set(header);
    assert.throws(() => mine.protect([bad]), RangeError);
  });
});
