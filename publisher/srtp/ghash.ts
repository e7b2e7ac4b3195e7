/**
 * GHASH, the universal hash of AES-GCM (NIST SP 800-38D §6.4), with tables built
 * once per hash key H so that each 16-byte block costs 16 table lookups and 64
 * XORs, no reduction and no allocation.
 *
 * Why not `node:crypto`: Node's API computes GHASH only inside a GCM cipher
 * object, and one such object per packet (IV changes every packet) was the
 * publisher's cost (~10 µs per 1.2 KB packet under Deno, against ~2 µs for this
 * table walk plus a batched native AES keystream; `deno task bench:srtp`).
 *
 * Table layout: for byte position i (0–15) and byte value b, entry (i, b) holds
 * the field element "b at byte i, zero elsewhere" multiplied by H. GHASH is
 * linear, so X·H is the XOR of the 16 entries selected by X's bytes. 64 KiB per
 * key. Blocks, entries and the running hash are held as four little-endian
 * 32-bit words (byte k of a block is bits 8(k mod 4)… of word k / 4), so that
 * 4-byte-aligned data is read through an `Int32Array` view, one load per word
 * (every engine vigil runs on is little-endian; the constructor checks). Table lookups depend on the data (not
 * on secrets beyond what GCM's tag already reveals, but on H): like any
 * table-driven GHASH this is not constant-time against a local cache-timing
 * attacker on the same CPU.
 *
 * @module
 */

const WORDS = 4;
const ENTRIES = 256;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Incremental GHASH state for one hash key. */
export class Ghash {
  readonly #t = new Int32Array(16 * ENTRIES * WORDS);
  readonly #scratch = new Uint8Array(16);
  readonly #scratchWords = new Int32Array(this.#scratch.buffer);
  #y0 = 0;
  #y1 = 0;
  #y2 = 0;
  #y3 = 0;

  /**
   * Builds the tables for hash key `h` (16 bytes; in GCM, AES_K(0^128)).
   *
   * @example
   * ```ts
   * const g = new Ghash(h);
   * g.absorb(aad, 0, aad.length);
   * g.absorb(ciphertext, 0, ciphertext.length);
   * g.lengths(aad.length, ciphertext.length);
   * g.finishInto(tag, 0, encryptedJ0);
   * ```
   */
  constructor(h: Uint8Array) {
    if (h.length !== 16) throw new RangeError(`GHASH key must be 16 bytes, got ${h.length}`);
    if (!LITTLE_ENDIAN) throw new Error("Ghash: needs a little-endian platform");
    const t = this.#t;
    // V = H · x^k for k = 0…127 (GCM bit order: bit 0 is the MSB of byte 0), computed on
    // big-endian words, stored byte-swapped.
    let v0 = be(h, 0), v1 = be(h, 4), v2 = be(h, 8), v3 = be(h, 12);
    for (let k = 0; k < 128; k++) {
      const e = ((k >> 3) * ENTRIES + (0x80 >> (k & 7))) * WORDS;
      t[e] = swap(v0);
      t[e + 1] = swap(v1);
      t[e + 2] = swap(v2);
      t[e + 3] = swap(v3);
      // Multiply by x: shift right one bit, reduce by R = 0xe1 || 0^120.
      const carry = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (carry ? 0xe1000000 : 0);
    }
    // Every other entry is the XOR of the single-bit entries of its set bits.
    for (let i = 0; i < 16; i++) {
      const base = i * ENTRIES;
      for (let b = 3; b < ENTRIES; b++) {
        const low = b & -b;
        if (low === b) continue;
        const e = (base + b) * WORDS, a = (base + (b ^ low)) * WORDS, c = (base + low) * WORDS;
        t[e] = t[a] ^ t[c];
        t[e + 1] = t[a + 1] ^ t[c + 1];
        t[e + 2] = t[a + 2] ^ t[c + 2];
        t[e + 3] = t[a + 3] ^ t[c + 3];
      }
    }
  }

  /** Starts a new message. */
  reset(): void {
    this.#y0 =
      this.#y1 =
      this.#y2 =
      this.#y3 =
        0;
  }

  /**
   * Absorbs `len` bytes of `data` from `offset`, zero-padding the last block
   * (one GCM segment). `words`, when given, must view the same memory as
   * `data` from `data`'s first byte (`new Int32Array(data.buffer,
   * data.byteOffset, …)`, so `data.byteOffset` a multiple of 4); it is used
   * when `offset` is a multiple of 4.
   */
  absorb(data: Uint8Array, offset: number, len: number, words?: Int32Array): void {
    const end = offset + len;
    let p = offset;
    if (words && (offset & 3) === 0) {
      for (; p + 16 <= end; p += 16) {
        const w = p >> 2;
        this.#block(words[w], words[w + 1], words[w + 2], words[w + 3]);
      }
    } else {
      for (; p + 16 <= end; p += 16) {
        this.#block(le(data, p), le(data, p + 4), le(data, p + 8), le(data, p + 12));
      }
    }
    if (p < end) {
      const s = this.#scratch, sw = this.#scratchWords;
      s.fill(0);
      s.set(data.subarray(p, end));
      this.#block(sw[0], sw[1], sw[2], sw[3]);
    }
  }

  /** Absorbs GCM's final block: the bit lengths of the AAD and of the ciphertext (big-endian). */
  lengths(aadBytes: number, ciphertextBytes: number): void {
    const a = aadBytes * 8, c = ciphertextBytes * 8;
    this.#block(
      swap(Math.floor(a / 2 ** 32)),
      swap(a >>> 0),
      swap(Math.floor(c / 2 ** 32)),
      swap(c >>> 0),
    );
  }

  /** Writes the 16-byte hash XOR `mask` (in GCM: AES_K(J0)) to `out` at `offset`. */
  finishInto(out: Uint8Array, offset: number, mask: Uint8Array, maskOffset = 0): void {
    const ys = [this.#y0, this.#y1, this.#y2, this.#y3];
    for (let w = 0; w < 4; w++) {
      const y = ys[w];
      const o = offset + w * 4, m = maskOffset + w * 4;
      out[o] = (y & 0xff) ^ mask[m];
      out[o + 1] = ((y >>> 8) & 0xff) ^ mask[m + 1];
      out[o + 2] = ((y >>> 16) & 0xff) ^ mask[m + 2];
      out[o + 3] = (y >>> 24) ^ mask[m + 3];
    }
  }

  /** Y = (Y ⊕ X) · H for one block given as four little-endian words. */
  #block(x0: number, x1: number, x2: number, x3: number): void {
    const t = this.#t;
    x0 ^= this.#y0;
    x1 ^= this.#y1;
    x2 ^= this.#y2;
    x3 ^= this.#y3;
    let z0 = 0, z1 = 0, z2 = 0, z3 = 0, a = 0;
    // Unrolled over the 16 bytes of X: byte i selects entry (i, byte).
    a = (x0 & 255) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (256 + ((x0 >>> 8) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (512 + ((x0 >>> 16) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (768 + (x0 >>> 24)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (1024 + (x1 & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (1280 + ((x1 >>> 8) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (1536 + ((x1 >>> 16) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (1792 + (x1 >>> 24)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (2048 + (x2 & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (2304 + ((x2 >>> 8) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (2560 + ((x2 >>> 16) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (2816 + (x2 >>> 24)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (3072 + (x3 & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (3328 + ((x3 >>> 8) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (3584 + ((x3 >>> 16) & 255)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    a = (3840 + (x3 >>> 24)) << 2;
    z0 ^= t[a], z1 ^= t[a + 1], z2 ^= t[a + 2], z3 ^= t[a + 3];
    this.#y0 = z0, this.#y1 = z1, this.#y2 = z2, this.#y3 = z3;
  }
}

/** Big-endian 32-bit word of `d` at `p` (as an int32). */
function be(d: Uint8Array, p: number): number {
  return (d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3];
}

/** Little-endian 32-bit word of `d` at `p` (as an int32). */
function le(d: Uint8Array, p: number): number {
  return d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24);
}

/** Byte order reversal of a 32-bit word. */
function swap(w: number): number {
  return ((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24);
}
