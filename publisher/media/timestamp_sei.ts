/**
 * A machine-readable capture time carried in each access unit, for
 * glass-to-glass latency measurements: an SEI NAL unit (type 6) holding one
 * user_data_unregistered message (payloadType 5, H.264 §D.1.7):
 *
 * ```
 * 06                              NAL header (F=0, NRI=0, type 6)
 * 05 18                           payloadType 5, payloadSize 24
 * 5e1d3f6a-8c2b-4f0e-a7d4-766967696c31   uuid_iso_iec_11578 (16 bytes; last 6 = "vigil1")
 * xx xx xx xx xx xx xx xx         capture time: µs since the Unix epoch, uint64 big-endian
 * 80                              rbsp_trailing_bits
 * ```
 *
 * with emulation prevention bytes applied after the NAL header. The publisher
 * inserts it when forwarding (not the encoder); a receiver reads it from the
 * decoded stream (e.g. an encoded-transform in the browser) and compares with
 * its own clock.
 *
 * @module
 */

import type { AccessUnit } from "./access_unit.ts";
import {
  addEmulationPrevention,
  isVclType,
  NalType,
  nalType,
  removeEmulationPrevention,
} from "./nal.ts";

/** The UUID identifying vigil's capture-time SEI. */
export const TIMESTAMP_SEI_UUID = "5e1d3f6a-8c2b-4f0e-a7d4-766967696c31";

const UUID_BYTES = Uint8Array.from(
  TIMESTAMP_SEI_UUID.replaceAll("-", "").match(/../g)!.map((h) => parseInt(h, 16)),
);
const USER_DATA_UNREGISTERED = 5;
const PAYLOAD_SIZE = 16 + 8;

/**
 * Builds the SEI NAL unit (without start code) for a capture time.
 *
 * @example
 * ```ts
 * const sei = buildTimestampSei(Date.now());
 * parseTimestampSei(sei); // ≈ Date.now(), to the microsecond
 * ```
 */
export function buildTimestampSei(captureTimeMs: number): Uint8Array {
  const rbsp = new Uint8Array(2 + PAYLOAD_SIZE + 1);
  rbsp[0] = USER_DATA_UNREGISTERED;
  rbsp[1] = PAYLOAD_SIZE;
  rbsp.set(UUID_BYTES, 2);
  const micros = BigInt(Math.max(0, Math.round(captureTimeMs * 1000)));
  new DataView(rbsp.buffer).setBigUint64(18, micros, false);
  rbsp[rbsp.length - 1] = 0x80;
  const body = addEmulationPrevention(rbsp);
  const nalu = new Uint8Array(1 + body.length);
  nalu[0] = NalType.Sei;
  nalu.set(body, 1);
  return nalu;
}

/**
 * Reads the capture time (ms since the epoch, µs precision) from a vigil
 * timestamp SEI; null for any other NAL unit or SEI.
 *
 * @example
 * ```ts
 * parseTimestampSei(buildTimestampSei(1700000000000.5)); // 1700000000000.5
 * ```
 */
export function parseTimestampSei(nalu: Uint8Array): number | null {
  if (nalu.length < 2 || nalType(nalu) !== NalType.Sei) return null;
  const rbsp = removeEmulationPrevention(nalu.subarray(1));
  let o = 0;
  while (o < rbsp.length && rbsp[o] !== 0x80) {
    let type = 0;
    while (o < rbsp.length && rbsp[o] === 0xff) type += rbsp[o++];
    if (o >= rbsp.length) return null;
    type += rbsp[o++];
    let size = 0;
    while (o < rbsp.length && rbsp[o] === 0xff) size += rbsp[o++];
    if (o >= rbsp.length) return null;
    size += rbsp[o++];
    if (o + size > rbsp.length) return null;
    if (type === USER_DATA_UNREGISTERED && size === PAYLOAD_SIZE && hasOurUuid(rbsp, o)) {
      const view = new DataView(rbsp.buffer, rbsp.byteOffset + o + 16, 8);
      return Number(view.getBigUint64(0, false)) / 1000;
    }
    o += size;
  }
  return null;
}

function hasOurUuid(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 16; i++) if (bytes[at + i] !== UUID_BYTES[i]) return false;
  return true;
}

/**
 * Returns the access unit with a timestamp SEI for its `captureTimeMs` placed
 * right before the first slice (replacing an earlier vigil timestamp SEI).
 *
 * @example
 * ```ts
 * const stamped = withTimestampSei(au);
 * findCaptureTime(stamped.nalus) === au.captureTimeMs; // true (µs precision)
 * ```
 */
export function withTimestampSei(au: AccessUnit): AccessUnit {
  const nalus: Uint8Array[] = [];
  let inserted = false;
  for (const nalu of au.nalus) {
    if (nalu.length === 0 || parseTimestampSei(nalu) !== null) continue;
    if (!inserted && isVclType(nalType(nalu))) {
      nalus.push(buildTimestampSei(au.captureTimeMs));
      inserted = true;
    }
    nalus.push(nalu);
  }
  if (!inserted) nalus.push(buildTimestampSei(au.captureTimeMs));
  return { ...au, nalus };
}

/**
 * The capture time of the first vigil timestamp SEI among `nalus`, or null.
 *
 * @example
 * ```ts
 * findCaptureTime(withTimestampSei(au).nalus); // au.captureTimeMs
 * ```
 */
export function findCaptureTime(nalus: readonly Uint8Array[]): number | null {
  for (const nalu of nalus) {
    const t = parseTimestampSei(nalu);
    if (t !== null) return t;
  }
  return null;
}
