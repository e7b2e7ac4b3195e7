/**
 * Strict RFC 6184 packetization-mode=1 depacketizer (single NAL unit, STAP-A,
 * FU-A). vigil only sends video, so this exists to verify the packetizer in
 * tests and loopback checks: it throws on any rule violation instead of
 * concealing it.
 *
 * @module
 */

import { NalType, nalType } from "./nal.ts";

/**
 * Reassembles NAL units from RTP payloads of one stream, in order. Push each
 * payload with its marker bit; an access unit's NAL units are returned when the
 * marker is seen.
 *
 * @example
 * ```ts
 * const depacketizer = new H264Depacketizer();
 * for (const p of packetizer.packetize(au)) {
 *   const nalus = depacketizer.push(p.payload, p.marker); // set on the last packet
 * }
 * ```
 */
export class H264Depacketizer {
  #nalus: Uint8Array[] = [];
  #fragments: Uint8Array[] | null = null;
  #fragmentHeader = 0;

  /** Adds one RTP payload; returns the access unit's NAL units when `marker` is true. */
  push(payload: Uint8Array, marker: boolean): Uint8Array[] | null {
    if (payload.length === 0) throw new Error("empty RTP payload");
    if (payload[0] & 0x80) throw new Error("forbidden_zero_bit set in payload header");
    const type = nalType(payload);
    if (type === NalType.FuA) {
      this.#pushFragment(payload);
    } else {
      if (this.#fragments) throw new Error("FU-A interrupted by another packet");
      if (type === NalType.StapA) this.#pushStapA(payload);
      else if (type >= 1 && type <= 23) this.#nalus.push(payload);
      else throw new Error(`unsupported payload type ${type}`);
    }
    if (!marker) return null;
    if (this.#fragments) throw new Error("marker bit on a non-final FU-A fragment");
    const nalus = this.#nalus;
    this.#nalus = [];
    return nalus;
  }

  #pushStapA(payload: Uint8Array): void {
    let o = 1;
    let count = 0;
    while (o < payload.length) {
      if (o + 2 > payload.length) throw new Error("STAP-A: truncated size field");
      const size = (payload[o] << 8) | payload[o + 1];
      o += 2;
      if (size === 0 || o + size > payload.length) throw new Error(`STAP-A: bad NAL size ${size}`);
      this.#nalus.push(payload.subarray(o, o + size));
      o += size;
      count++;
    }
    if (count === 0) throw new Error("STAP-A without NAL units");
  }

  #pushFragment(payload: Uint8Array): void {
    if (payload.length < 3) throw new Error("FU-A: no fragment data");
    const fuHeader = payload[1];
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    if (fuHeader & 0x20) throw new Error("FU-A: reserved bit set");
    if (start && end) throw new Error("FU-A: start and end bits in one fragment");
    const header = (payload[0] & 0xe0) | (fuHeader & 0x1f);
    if (start) {
      if (this.#fragments) throw new Error("FU-A: start while a NAL unit is open");
      this.#fragments = [];
      this.#fragmentHeader = header;
    } else if (!this.#fragments) {
      throw new Error("FU-A: continuation without start");
    } else if (header !== this.#fragmentHeader) {
      throw new Error("FU-A: header bits differ between fragments");
    }
    this.#fragments.push(payload.subarray(2));
    if (end) {
      let size = 1;
      for (const f of this.#fragments) size += f.length;
      const nalu = new Uint8Array(size);
      nalu[0] = header;
      let o = 1;
      for (const f of this.#fragments) {
        nalu.set(f, o);
        o += f.length;
      }
      this.#nalus.push(nalu);
      this.#fragments = null;
    }
  }
}
