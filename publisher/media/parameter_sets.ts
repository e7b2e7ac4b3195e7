/**
 * Remembers the latest SPS and PPS of a stream and puts them in front of every
 * IDR access unit that lacks them, so that any keyframe is decodable on its own
 * (a viewer joining late, a GOP replay, a recorder segment).
 *
 * @module
 */

import { isVclType, NalType, nalType } from "./nal.ts";

/**
 * Tracks the latest SPS and PPS (one of each; vigil's encoders use a single
 * parameter set of each kind).
 *
 * @example
 * ```ts
 * const sets = new ParameterSetCache();
 * sets.observe(firstIdr.nalus); // learns SPS and PPS
 * const nalus = sets.complete(laterIdr.nalus, true); // [SPS, PPS, ...laterIdr.nalus]
 * ```
 */
export class ParameterSetCache {
  #sps: Uint8Array | null = null;
  #pps: Uint8Array | null = null;

  /** The latest SPS seen, if any. */
  get sps(): Uint8Array | null {
    return this.#sps;
  }

  /** The latest PPS seen, if any. */
  get pps(): Uint8Array | null {
    return this.#pps;
  }

  /** Remembers the SPS/PPS among `nalus`. */
  observe(nalus: readonly Uint8Array[]): void {
    for (const nalu of nalus) {
      if (nalu.length === 0) continue;
      const type = nalType(nalu);
      if (type === NalType.Sps) this.#sps = nalu;
      else if (type === NalType.Pps) this.#pps = nalu;
    }
  }

  /**
   * Observes `nalus`, then, for a keyframe, returns them with the missing SPS
   * and/or PPS inserted before the first slice. Returns the same array when
   * nothing is missing (or nothing is known yet).
   */
  complete(nalus: Uint8Array[], keyframe: boolean): Uint8Array[] {
    this.observe(nalus);
    if (!keyframe) return nalus;
    let hasSps = false;
    let hasPps = false;
    let firstSlice = -1;
    for (let i = 0; i < nalus.length; i++) {
      const nalu = nalus[i];
      if (nalu.length === 0) continue;
      const type = nalType(nalu);
      if (type === NalType.Sps) hasSps = true;
      else if (type === NalType.Pps) hasPps = true;
      else if (firstSlice < 0 && isVclType(type)) firstSlice = i;
    }
    const missing: Uint8Array[] = [];
    if (!hasSps && this.#sps) missing.push(this.#sps);
    if (!hasPps && this.#pps) missing.push(this.#pps);
    if (missing.length === 0) return nalus;
    // Before any SEI too: a buffering-period SEI refers to the SPS.
    let at = 0;
    while (at < nalus.length && at !== firstSlice && nalType(nalus[at]) === NalType.Aud) at++;
    return [...nalus.slice(0, at), ...missing, ...nalus.slice(at)];
  }
}
