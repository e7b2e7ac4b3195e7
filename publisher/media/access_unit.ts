/**
 * The unit of video that flows through the publisher: one coded picture with
 * its parameter sets and SEI, as NAL units without start codes.
 *
 * @module
 */

import { isVclType, nalRefIdc, NalType, nalType } from "./nal.ts";

/** One H.264 access unit (one coded picture). */
export interface AccessUnit {
  /** NAL units in decoding order, each without its Annex-B start code. */
  nalus: Uint8Array[];
  /** Presentation time on the 90 kHz RTP clock; strictly increasing, not wrapped to 32 bits. */
  timestamp: number;
  /** True when the access unit contains an IDR slice (a random access point). */
  keyframe: boolean;
  /** Wall clock (ms since the Unix epoch) when the picture was captured or read, for latency. */
  captureTimeMs: number;
}

/** An access unit before a source has given it a time: what the assembler produces. */
export interface UntimedAccessUnit {
  /** NAL units in decoding order, without start codes. */
  nalus: Uint8Array[];
  /** True when the access unit contains an IDR slice. */
  keyframe: boolean;
}

/** The RTP clock rate of H.264 video (RFC 6184 §8.2.1). */
export const VIDEO_CLOCK_RATE = 90_000;

/**
 * Total size of the NAL units of an access unit, in bytes (without start codes).
 *
 * @example
 * ```ts
 * accessUnitBytes({ nalus: [new Uint8Array(3), new Uint8Array(5)] }); // 8
 * ```
 */
export function accessUnitBytes(au: Pick<AccessUnit, "nalus">): number {
  let n = 0;
  for (const nalu of au.nalus) n += nalu.length;
  return n;
}

/**
 * Whether no other picture references this access unit: all its slices have
 * nal_ref_idc 0, so dropping it does not break decoding of later pictures.
 *
 * @example
 * ```ts
 * isDisposable({ nalus: [new Uint8Array([0x01, 0x88])] }); // true (NRI 0 slice)
 * isDisposable({ nalus: [new Uint8Array([0x41, 0x88])] }); // false
 * ```
 */
export function isDisposable(au: Pick<AccessUnit, "nalus">): boolean {
  let sawSlice = false;
  for (const nalu of au.nalus) {
    if (nalu.length === 0 || !isVclType(nalType(nalu))) continue;
    if (nalRefIdc(nalu) !== 0 || nalType(nalu) === NalType.Idr) return false;
    sawSlice = true;
  }
  return sawSlice;
}

/**
 * Number of 90 kHz ticks of frame `index` counted from frame 0 at `fps`,
 * computed from the index so rounding never accumulates.
 *
 * @example
 * ```ts
 * frameTimestamp(30, 30); // 90000
 * frameTimestamp(1, 29.97); // 3003
 * ```
 */
export function frameTimestamp(index: number, fps: number): number {
  return Math.round((index * VIDEO_CLOCK_RATE) / fps);
}
