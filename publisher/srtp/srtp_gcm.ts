/**
 * SRTP protection with AEAD_AES_128_GCM (RFC 7714), the profile Chromium and
 * werift negotiate, for one outgoing RTP stream: state built once (native
 * AES-ECB context, GHASH tables), packets protected in place in the caller's
 * buffers, the keystream of a whole batch (an access unit) from one native call.
 *
 * Per packet (RFC 7714 §8): IV = (0x0000 || SSRC || ROC || SEQ) XOR salt;
 * J0 = IV || 0x00000001; the payload is XORed with AES_K(IV || i) for i = 2, 3, …;
 * the 16-byte tag is GHASH_H(header, ciphertext) XOR AES_K(J0), H = AES_K(0^128),
 * appended after the ciphertext. The AAD is the whole RTP header (§8.2).
 *
 * @module
 */
import { AesEcb } from "./aes_ecb.ts";
import { Ghash } from "./ghash.ts";

/** Length of the AEAD_AES_128_GCM authentication tag (RFC 7714 §14.2). */
export const GCM_TAG_BYTES = 16;

/**
 * One packet to protect: `bytes` holds the RTP header (`headerLength` bytes,
 * sequence number at bytes 2–3) followed by `payloadLength` bytes of payload,
 * and room for the tag after it.
 */
export interface SrtpPacketSlot {
  bytes: Uint8Array;
  headerLength: number;
  payloadLength: number;
  /** Rollover counter of this packet's sequence number (RFC 3711 §3.3.1). */
  roc: number;
  /**
   * Optional `Int32Array` over `bytes` from its first byte (`bytes.byteOffset`
   * a multiple of 4): lets the protector XOR and hash four bytes at a time.
   */
  words?: Int32Array;
}

/** Protects one SSRC's RTP packets with AEAD_AES_128_GCM. */
export class SrtpGcmProtector {
  readonly #aes: AesEcb;
  readonly #ghash: Ghash;
  readonly #salt: Uint8Array;
  readonly #ssrc: number;
  #counters = new Int32Array(4 * 128);

  /**
   * `key` and `salt` are the RTP session key (16 bytes) and salt (12 bytes)
   * (see {@linkcode gcmSessionKeys}); `ssrc` the stream's SSRC.
   *
   * @example
   * ```ts
   * const p = new SrtpGcmProtector(keys.key, keys.salt, ssrc);
   * p.protect([slot], 1); // slot.bytes now holds header || ciphertext || tag
   * ```
   */
  constructor(key: Uint8Array, salt: Uint8Array, ssrc: number) {
    if (salt.length !== 12) throw new RangeError(`GCM salt must be 12 bytes, got ${salt.length}`);
    this.#aes = new AesEcb(key);
    this.#ghash = new Ghash(this.#aes.encrypt(new Uint8Array(16)));
    this.#salt = salt.slice();
    this.#ssrc = ssrc >>> 0;
  }

  /** Bytes a packet grows by. */
  get overhead(): number {
    return GCM_TAG_BYTES;
  }

  /**
   * Encrypts the first `count` slots in place and writes each one's tag after
   * its payload: a slot then holds `headerLength + payloadLength + 16` bytes of
   * SRTP. One native AES call for the whole batch.
   */
  protect(slots: readonly SrtpPacketSlot[], count = slots.length): void {
    let blocks = 0;
    for (let k = 0; k < count; k++) blocks += 1 + Math.ceil(slots[k].payloadLength / 16);
    if (this.#counters.length < blocks * 4) this.#counters = new Int32Array(blocks * 8);
    const ctr = this.#counters;
    const salt = this.#salt;
    const ssrc = this.#ssrc;
    // Counter blocks IV || 1 (for the tag), IV || 2, … for every packet of the batch,
    // written as little-endian words (the buffer's byte order is the wire order).
    let o = 0;
    for (let k = 0; k < count; k++) {
      const s = slots[k];
      const seq = (s.bytes[2] << 8) | s.bytes[3];
      const roc = s.roc >>> 0;
      const n = 1 + Math.ceil(s.payloadLength / 16);
      // RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
      const w0 = salt[0] | (salt[1] << 8) | ((salt[2] ^ (ssrc >>> 24)) << 16) |
        ((salt[3] ^ ((ssrc >>> 16) & 255)) << 24);
      const w1 = (salt[4] ^ ((ssrc >>> 8) & 255)) | ((salt[5] ^ (ssrc & 255)) << 8) |
        ((salt[6] ^ (roc >>> 24)) << 16) | ((salt[7] ^ ((roc >>> 16) & 255)) << 24);
      const w2 = (salt[8] ^ ((roc >>> 8) & 255)) | ((salt[9] ^ (roc & 255)) << 8) |
        ((salt[10] ^ (seq >>> 8)) << 16) | ((salt[11] ^ (seq & 255)) << 24);
      for (let j = 1; j <= n; j++, o += 4) {
        ctr[o] = w0;
        ctr[o + 1] = w1;
        ctr[o + 2] = w2;
        ctr[o + 3] = (j << 24) | ((j & 0xff00) << 8) | ((j >>> 8) & 0xff00) | (j >>> 24);
      }
    }
    const ks = this.#aes.encrypt(
      new Uint8Array(ctr.buffer, ctr.byteOffset, o * 4),
    );
    const ksWords = (ks.byteOffset & 3) === 0
      ? new Int32Array(ks.buffer, ks.byteOffset, ks.length >> 2)
      : null;
    const g = this.#ghash;
    o = 0;
    for (let k = 0; k < count; k++) {
      const s = slots[k];
      const bytes = s.bytes, h = s.headerLength, len = s.payloadLength;
      if (bytes.length < h + len + GCM_TAG_BYTES) {
        throw new RangeError("SRTP slot has no room for the GCM tag");
      }
      const words = s.words;
      const tagMask = o;
      const ks0 = o + 16 - h; // keystream byte for payload byte at index i is ks[ks0 + i]
      const end = h + len;
      let i = h;
      if (words && ksWords && (h & 3) === 0) {
        // Four bytes at a time: payload word h/4 + m pairs with keystream word (o + 16)/4 + m.
        const wEnd = (h + (len & ~3)) >> 2;
        for (let w = h >> 2, kw = (o + 16) >> 2; w < wEnd; w++, kw++) words[w] ^= ksWords[kw];
        i = wEnd << 2;
      }
      for (; i < end; i++) bytes[i] ^= ks[ks0 + i];
      g.reset();
      g.absorb(bytes, 0, h, words);
      g.absorb(bytes, h, len, words);
      g.lengths(h, len);
      g.finishInto(bytes, end, ks, tagMask);
      o += 16 * (1 + Math.ceil(len / 16));
    }
  }
}
