/**
 * Minimal H.264 NAL unit helpers: header fields, type names and emulation
 * prevention. No SPS parsing: everything here reads at most the first two bytes
 * of a NAL unit, except the emulation-prevention codecs.
 *
 * @module
 */

/** NAL unit types used by vigil (H.264 Table 7-1 and RFC 6184 §5.2). */
export const NalType = {
  /** Coded slice of a non-IDR picture. */
  Slice: 1,
  /** Coded slice data partition A (not in Baseline). */
  PartitionA: 2,
  /** Coded slice of an IDR picture. */
  Idr: 5,
  /** Supplemental enhancement information. */
  Sei: 6,
  /** Sequence parameter set. */
  Sps: 7,
  /** Picture parameter set. */
  Pps: 8,
  /** Access unit delimiter. */
  Aud: 9,
  /** End of sequence. */
  EndOfSequence: 10,
  /** End of stream. */
  EndOfStream: 11,
  /** Filler data. */
  Filler: 12,
  /** RFC 6184 single-time aggregation packet A. */
  StapA: 24,
  /** RFC 6184 fragmentation unit A. */
  FuA: 28,
} as const;

/**
 * The nal_unit_type (5 bits) of a NAL unit given without its start code.
 *
 * @example
 * ```ts
 * nalType(new Uint8Array([0x67, 0x42])); // 7 (SPS)
 * ```
 */
export function nalType(nalu: Uint8Array): number {
  return nalu[0] & 0x1f;
}

/**
 * The nal_ref_idc (2 bits; RTP "NRI") of a NAL unit. 0 means no other picture
 * references it, so it can be dropped without breaking decoding.
 *
 * @example
 * ```ts
 * nalRefIdc(new Uint8Array([0x65])); // 3 (IDR slice)
 * ```
 */
export function nalRefIdc(nalu: Uint8Array): number {
  return (nalu[0] >> 5) & 0x03;
}

/**
 * Whether a nal_unit_type carries coded slice data (VCL, types 1–5).
 *
 * @example
 * ```ts
 * isVclType(NalType.Idr); // true
 * isVclType(NalType.Sps); // false
 * ```
 */
export function isVclType(type: number): boolean {
  return type >= 1 && type <= 5;
}

/**
 * Whether a VCL NAL unit starts a new picture: its slice header's
 * first_mb_in_slice is 0 (the ue(v) code "1", i.e. the top bit of byte 1).
 * Sufficient for Constrained Baseline, which forbids arbitrary slice order.
 *
 * @example
 * ```ts
 * isFirstSliceOfPicture(new Uint8Array([0x65, 0x88])); // true
 * ```
 */
export function isFirstSliceOfPicture(nalu: Uint8Array): boolean {
  return nalu.length > 1 && (nalu[1] & 0x80) !== 0;
}

/**
 * Inserts emulation prevention bytes (0x03) so that an RBSP can be carried as a
 * NAL unit payload: after two zero bytes, a byte ≤ 0x03 is escaped.
 *
 * @example
 * ```ts
 * addEmulationPrevention(new Uint8Array([0, 0, 1])); // [0, 0, 3, 1]
 * ```
 */
export function addEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  const out = new Uint8Array(rbsp.length + Math.ceil(rbsp.length / 2));
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < rbsp.length; i++) {
    const b = rbsp[i];
    if (zeros >= 2 && b <= 0x03) {
      out[o++] = 0x03;
      zeros = 0;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}

/**
 * Removes emulation prevention bytes (the 0x03 of every 00 00 03 sequence).
 * Returns the input itself when there is nothing to remove.
 *
 * @example
 * ```ts
 * removeEmulationPrevention(new Uint8Array([0, 0, 3, 1])); // [0, 0, 1]
 * ```
 */
export function removeEmulationPrevention(ebsp: Uint8Array): Uint8Array {
  let out: Uint8Array | null = null;
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < ebsp.length; i++) {
    const b = ebsp[i];
    if (zeros >= 2 && b === 0x03) {
      if (out === null) {
        out = new Uint8Array(ebsp.length);
        out.set(ebsp.subarray(0, i));
        o = i;
      }
      zeros = 0;
      continue;
    }
    if (out !== null) out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out === null ? ebsp : out.subarray(0, o);
}
