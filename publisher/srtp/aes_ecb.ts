/**
 * The AES block function of the SRTP path: one long-lived AES-128-ECB context
 * from `node:crypto` (native AES, key schedule computed once), fed many
 * counter blocks per call. SRTP's AES-CM and AES-GCM are both AES applied to
 * counter blocks the caller builds, so a whole access unit's keystream costs
 * one native call instead of one cipher object per packet.
 *
 * @module
 */
import { createCipheriv } from "node:crypto";

/** AES-128 over independent 16-byte blocks with a fixed key. */
export class AesEcb {
  readonly #cipher;

  /** `key`: 16 bytes. */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    this.#cipher = createCipheriv("aes-128-ecb", key, null);
    this.#cipher.setAutoPadding(false);
  }

  /**
   * Encrypts `blocks` (a multiple of 16 bytes) and returns the result (a new
   * buffer, one per call).
   *
   * @example
   * ```ts
   * const h = new AesEcb(key).encrypt(new Uint8Array(16)); // GCM's hash key
   * ```
   */
  encrypt(blocks: Uint8Array): Uint8Array {
    if (blocks.length % 16 !== 0) {
      throw new RangeError(`AES-ECB input must be whole blocks, got ${blocks.length} bytes`);
    }
    return this.#cipher.update(blocks);
  }
}
