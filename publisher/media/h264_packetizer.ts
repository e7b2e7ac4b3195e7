/**
 * RFC 6184 packetization-mode=1 for H.264: single NAL unit packets, STAP-A
 * aggregation of consecutive small NAL units (SPS + PPS + SEI before a slice,
 * small slices), and FU-A fragmentation of NAL units larger than the payload
 * budget. Produces RTP payloads only; the RTP header (sequence number, SSRC,
 * timestamp) belongs to the sender.
 *
 * @module
 */

import type { AccessUnit } from "./access_unit.ts";
import { nalRefIdc, NalType, nalType } from "./nal.ts";
import { ParameterSetCache } from "./parameter_sets.ts";

export { nalRefIdc, NalType, nalType } from "./nal.ts";

/** One RTP payload; `marker` is set on the last packet of an access unit (RFC 6184 §5.1). */
export interface RtpPayload {
  /** The RTP payload (single NAL unit, STAP-A or FU-A). */
  payload: Uint8Array;
  /** RTP marker bit. */
  marker: boolean;
}

/** Default payload budget: leaves room for RTP/SRTP/UDP/IP headers and extensions in a 1500-byte MTU. */
export const DEFAULT_MAX_PAYLOAD_SIZE = 1200;

const FU_A_HEADER_BYTES = 2;
const STAP_A_HEADER_BYTES = 1;
const STAP_A_SIZE_BYTES = 2;

/** Options of {@linkcode H264Packetizer}. */
export interface H264PacketizerOptions {
  /** Largest RTP payload produced, in bytes (default 1200, at least 3). */
  maxPayloadSize?: number;
  /** Insert the latest SPS/PPS before an IDR that lacks them (default true). */
  insertParameterSets?: boolean;
}

/**
 * Stateful packetizer: remembers the latest SPS/PPS and puts them in front of
 * every IDR access unit that lacks them. Keep one per outgoing RTP stream (it is
 * cheap), or one shared per source when every stream gets the same access units.
 *
 * @example
 * ```ts
 * const packetizer = new H264Packetizer({ maxPayloadSize: 1200 });
 * for (const { payload, marker } of packetizer.packetize(au)) {
 *   sendRtp({ payload, marker, timestamp: base + au.timestamp });
 * }
 * ```
 */
export class H264Packetizer {
  readonly #maxPayloadSize: number;
  readonly #insertParameterSets: boolean;
  readonly #parameterSets = new ParameterSetCache();

  /** Creates a packetizer; throws RangeError for a payload budget below 3 bytes. */
  constructor(options: H264PacketizerOptions = {}) {
    const max = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    if (!Number.isInteger(max) || max < 3) {
      throw new RangeError(`maxPayloadSize must be an integer >= 3, got ${max}`);
    }
    this.#maxPayloadSize = max;
    this.#insertParameterSets = options.insertParameterSets ?? true;
  }

  /** The payload budget in bytes. */
  get maxPayloadSize(): number {
    return this.#maxPayloadSize;
  }

  /** RTP payloads for one access unit, in order; the last one has `marker: true`. */
  packetize(au: Pick<AccessUnit, "nalus" | "keyframe">): RtpPayload[] {
    const nalus = this.#insertParameterSets
      ? this.#parameterSets.complete(au.nalus, au.keyframe)
      : au.nalus;
    return packetizeNalus(nalus, this.#maxPayloadSize);
  }
}

/**
 * Whether a NAL unit is sent over RTP: empty units, access unit delimiters,
 * filler data and types 0 and 24–31 (reserved for RTP payload structures) are not.
 */
function isTransmitted(nalu: Uint8Array): boolean {
  if (nalu.length === 0) return false;
  const type = nalType(nalu);
  return type !== 0 && type < 24 && type !== NalType.Aud && type !== NalType.Filler;
}

/**
 * Stateless RFC 6184 packetization of one access unit's NAL units: runs of
 * consecutive NAL units that fit together go in one STAP-A, a NAL unit that fits
 * alone goes as a single NAL unit packet, a larger one is split into FU-A
 * fragments of near-equal size. No payload exceeds `maxPayloadSize`.
 *
 * @example
 * ```ts
 * packetizeNalus([sps, pps, idr], 1200); // [STAP-A(sps,pps), FU-A…, FU-A (marker)]
 * ```
 */
export function packetizeNalus(nalus: readonly Uint8Array[], maxPayloadSize: number): RtpPayload[] {
  const sendable = nalus.filter(isTransmitted);
  const out: RtpPayload[] = [];
  let i = 0;
  while (i < sendable.length) {
    // Longest run starting at i that fits in one STAP-A.
    let size = STAP_A_HEADER_BYTES;
    let j = i;
    while (j < sendable.length) {
      const next = size + STAP_A_SIZE_BYTES + sendable[j].length;
      if (next > maxPayloadSize || sendable[j].length > 0xffff) break;
      size = next;
      j++;
    }
    if (j - i >= 2) {
      out.push({ payload: buildStapA(sendable.slice(i, j), size), marker: false });
      i = j;
    } else if (sendable[i].length <= maxPayloadSize) {
      out.push({ payload: sendable[i], marker: false });
      i++;
    } else {
      fragmentFuA(sendable[i], maxPayloadSize, out);
      i++;
    }
  }
  if (out.length > 0) out[out.length - 1].marker = true;
  return out;
}

/** STAP-A (RFC 6184 §5.7.1): F = OR of the F bits, NRI = the highest NRI, type 24. */
function buildStapA(nalus: readonly Uint8Array[], size: number): Uint8Array {
  const payload = new Uint8Array(size);
  let f = 0;
  let nri = 0;
  let o = STAP_A_HEADER_BYTES;
  for (const nalu of nalus) {
    f |= nalu[0] & 0x80;
    nri = Math.max(nri, nalRefIdc(nalu));
    payload[o] = nalu.length >> 8;
    payload[o + 1] = nalu.length & 0xff;
    payload.set(nalu, o + STAP_A_SIZE_BYTES);
    o += STAP_A_SIZE_BYTES + nalu.length;
  }
  payload[0] = f | (nri << 5) | NalType.StapA;
  return payload;
}

/**
 * FU-A (RFC 6184 §5.8): FU indicator = F and NRI of the NAL unit with type 28;
 * FU header = S, E, R=0 and the NAL unit type. The NAL header byte itself is not
 * sent; its bits travel in the indicator and header.
 */
function fragmentFuA(nalu: Uint8Array, maxPayloadSize: number, out: RtpPayload[]): void {
  const indicator = (nalu[0] & 0xe0) | NalType.FuA;
  const type = nalType(nalu);
  const body = nalu.subarray(1);
  const perPacket = maxPayloadSize - FU_A_HEADER_BYTES;
  const count = Math.ceil(body.length / perPacket);
  const base = Math.floor(body.length / count);
  const extra = body.length % count;
  let o = 0;
  for (let k = 0; k < count; k++) {
    const len = base + (k < extra ? 1 : 0);
    const payload = new Uint8Array(FU_A_HEADER_BYTES + len);
    const start = k === 0 ? 0x80 : 0;
    const end = k === count - 1 ? 0x40 : 0;
    payload[0] = indicator;
    payload[1] = start | end | type;
    payload.set(body.subarray(o, o + len), FU_A_HEADER_BYTES);
    o += len;
    out.push({ payload, marker: false });
  }
}
