/**
 * SRTP session keys from the master key and salt the DTLS-SRTP exporter gives
 * (RFC 5764 §4.2): the AES-CM key derivation of RFC 3711 §4.3 with a key
 * derivation rate of 0 (the only rate DTLS-SRTP uses), which RFC 7714 §12 also
 * prescribes for AEAD_AES_128_GCM. A 96-bit GCM master salt is zero-padded on
 * the right to the KDF's 112 bits, as libsrtp does.
 *
 * @module
 */
import { AesEcb } from "./aes_ecb.ts";

/** RFC 3711 §4.3.2 labels. */
export const SrtpLabel = {
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
} as const;

/**
 * `bytes` of PRF output for `label`: AES-CM keyed with the master key, IV =
 * (label << 48 XOR master salt) · 2^16, kdr = 0.
 *
 * @example
 * ```ts
 * const key = deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpEncryption, 16);
 * ```
 */
export function deriveSrtpKey(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  label: number,
  bytes: number,
): Uint8Array {
  if (masterSalt.length > 14) {
    throw new RangeError(`master salt must be at most 14 bytes, got ${masterSalt.length}`);
  }
  const blocks = Math.ceil(bytes / 16);
  const input = new Uint8Array(blocks * 16);
  for (let b = 0; b < blocks; b++) {
    const o = b * 16;
    input.set(masterSalt, o); // zero-padded to 14 bytes by the fresh array
    input[o + 7] ^= label; // key_id = label || r (r = 0 with kdr 0), right-aligned in 112 bits
    input[o + 14] = b >> 8; // the low 16 bits count the AES-CM blocks
    input[o + 15] = b & 0xff;
  }
  return new AesEcb(masterKey).encrypt(input).slice(0, bytes);
}

/** The RTP session key and salt of one direction for AEAD_AES_128_GCM (RFC 7714 §12). */
export interface GcmSessionKeys {
  /** 16-byte AES key. */
  key: Uint8Array;
  /** 12-byte salt. */
  salt: Uint8Array;
}

/** Session key and 96-bit salt for SRTP with AEAD_AES_128_GCM from a 16-byte master key and 12-byte master salt. */
export function gcmSessionKeys(masterKey: Uint8Array, masterSalt: Uint8Array): GcmSessionKeys {
  return {
    key: deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpEncryption, 16),
    salt: deriveSrtpKey(masterKey, masterSalt, SrtpLabel.rtpSalt, 12),
  };
}
