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
 * One RTP payload described without copying the picture: `prefixLength` bytes
 * (`prefix0`, `prefix1`: an FU-A indicator and header, RFC 6184 §5.8) followed
 * by `body`, a view into the NAL unit (or, for a STAP-A, a small built buffer).
 * A sender writes prefix and body straight into its packet buffer.
 */
export interface RtpFragment {
  prefixLength: 0 | 2;
  prefix0: number;
  prefix1: number;
  body: Uint8Array;
  /** RTP marker bit: last packet of the access unit. */
  marker: boolean;
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
  return fragmentNalus(nalus, maxPayloadSize).map(
    ({ prefixLength, prefix0, prefix1, body, marker }) => {
      if (prefixLength === 0) return { payload: body, marker };
      const payload = new Uint8Array(prefixLength + body.length);
      payload[0] = prefix0;
      payload[1] = prefix1;
      payload.set(body, prefixLength);
      return { payload, marker };
    },
  );
}

/**
 * {@linkcode packetizeNalus} without copies: FU-A bodies and single NAL unit
 * payloads are views into `nalus` (keep them unchanged while the fragments are
 * used); only STAP-A payloads are built.
 */
export function fragmentNalus(nalus: readonly Uint8Array[], maxPayloadSize: number): RtpFragment[] {
  const sendable = nalus.filter(isTransmitted);
  const out: RtpFragment[] = [];
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
      out.push(whole(buildStapA(sendable.slice(i, j), size)));
      i = j;
    } else if (sendable[i].length <= maxPayloadSize) {
      out.push(whole(sendable[i]));
      i++;
    } else {
      fragmentFuA(sendable[i], maxPayloadSize, out);
      i++;
    }
  }
  if (out.length > 0) out[out.length - 1].marker = true;
  return out;
}

function whole(body: Uint8Array): RtpFragment {
  return { prefixLength: 0, prefix0: 0, prefix1: 0, body, marker: false };
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
function fragmentFuA(nalu: Uint8Array, maxPayloadSize: number, out: RtpFragment[]): void {
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
    const start = k === 0 ? 0x80 : 0;
    const end = k === count - 1 ? 0x40 : 0;
    out.push({
      prefixLength: FU_A_HEADER_BYTES,
      prefix0: indicator,
      prefix1: start | end | type,
      body: body.subarray(o, o + len),
      marker: false,
    });
    o += len;
  }
}
