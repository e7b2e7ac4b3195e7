/**
 * H.264 Annex-B byte streams: an incremental NAL unit parser, an access-unit
 * assembler, and the reverse (NAL units → Annex-B bytes).
 *
 * The parser never copies byte by byte: it scans with `indexOf` and returns
 * `subarray` views of the pushed chunks. A NAL unit that spans several chunks is
 * joined with one copy when it completes. Callers must therefore not reuse or
 * mutate a chunk after pushing it.
 *
 * @module
 */

import type { UntimedAccessUnit } from "./access_unit.ts";
import { isFirstSliceOfPicture, isVclType, NalType, nalType } from "./nal.ts";

/** Options of {@linkcode AnnexBParser}. */
export interface AnnexBParserOptions {
  /** A NAL unit growing beyond this many bytes is discarded (default 8 MiB). */
  maxNalBytes?: number;
}

/**
 * Incremental Annex-B parser. Push byte chunks split anywhere; get back the NAL
 * units (without start codes) that are complete. A NAL unit is complete when
 * the next start code (00 00 01 or 00 00 00 01) is seen, or on {@linkcode flush}.
 * Trailing zero bytes (the extra zero of 4-byte start codes, trailing_zero_8bits)
 * are stripped; emulation prevention bytes are left untouched.
 *
 * @example
 * ```ts
 * const parser = new AnnexBParser();
 * parser.push(new Uint8Array([0, 0, 0, 1, 0x67, 0x42, 0, 0])); // []
 * parser.push(new Uint8Array([1, 0x68, 0xce])); // [Uint8Array [0x67, 0x42]]
 * parser.flush(); // [Uint8Array [0x68, 0xce]]
 * ```
 */
export class AnnexBParser {
  readonly #maxNalBytes: number;
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  #inNal = false;
  #oversized = false;
  /** Zero bytes at the end of the stream seen so far (may belong to a start code). */
  #zeros = 0;
  #discarded = 0;

  /** Creates a parser; see {@linkcode AnnexBParserOptions}. */
  constructor(options: AnnexBParserOptions = {}) {
    this.#maxNalBytes = options.maxNalBytes ?? 8 * 1024 * 1024;
  }

  /** NAL units discarded because they exceeded `maxNalBytes`. */
  get discarded(): number {
    return this.#discarded;
  }

  /** True while a NAL unit has started but is not complete yet. */
  get inNal(): boolean {
    return this.#inNal;
  }

  /** Feeds the next chunk of the byte stream; returns the NAL units it completed. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const n = chunk.length;
    if (n === 0) return out;
    let segStart = 0;
    let from = 0;
    for (;;) {
      const i = chunk.indexOf(1, from);
      if (i < 0) break;
      from = i + 1;
      // A start code needs the two bytes before this 0x01 to be zero; they may
      // lie in earlier chunks, which #zeros remembers.
      const zeroBefore = i >= 1 ? chunk[i - 1] === 0 : this.#zeros >= 1;
      if (!zeroBefore) continue;
      const zeroTwoBefore = i >= 2 ? chunk[i - 2] === 0 : this.#zeros >= 2 - i;
      if (!zeroTwoBefore) continue;
      this.#endNal(chunk, segStart, i - 2, out);
      segStart = i + 1;
    }
    if (this.#inNal && segStart < n) this.#append(chunk.subarray(segStart));
    let t = 0;
    while (t < n && chunk[n - 1 - t] === 0) t++;
    this.#zeros = t === n ? this.#zeros + n : t;
    return out;
  }

  /**
   * Ends the current NAL unit without waiting for another start code (end of
   * stream, or a writer known to emit whole access units). Bytes pushed next
   * are ignored up to the next start code.
   */
  flush(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.#inNal && !this.#oversized) {
      const nal = this.#take();
      if (nal) out.push(nal);
    }
    this.#reset();
    return out;
  }

  /** Forgets all buffered bytes. */
  reset(): void {
    this.#reset();
  }

  #reset(): void {
    this.#parts = [];
    this.#partsBytes = 0;
    this.#inNal = false;
    this.#oversized = false;
    this.#zeros = 0;
  }

  /** Closes the NAL unit in progress at chunk offset `end` (may be negative) and opens a new one. */
  #endNal(chunk: Uint8Array, segStart: number, end: number, out: Uint8Array[]): void {
    if (this.#inNal) {
      if (end > segStart) this.#append(chunk.subarray(segStart, end));
      else if (end < segStart) this.#trim(segStart - end);
      if (!this.#oversized) {
        const nal = this.#take();
        if (nal) out.push(nal);
      }
    }
    this.#parts = [];
    this.#partsBytes = 0;
    this.#oversized = false;
    this.#inNal = true;
  }

  #append(part: Uint8Array): void {
    if (this.#oversized) return;
    if (this.#partsBytes + part.length > this.#maxNalBytes) {
      this.#oversized = true;
      this.#discarded++;
      this.#parts = [];
      this.#partsBytes = 0;
      return;
    }
    this.#parts.push(part);
    this.#partsBytes += part.length;
  }

  /** Removes `count` bytes from the end of the buffered parts (start-code zeros of an earlier chunk). */
  #trim(count: number): void {
    let left = count;
    while (left > 0 && this.#parts.length > 0) {
      const last = this.#parts[this.#parts.length - 1];
      if (last.length <= left) {
        this.#parts.pop();
        left -= last.length;
        this.#partsBytes -= last.length;
      } else {
        this.#parts[this.#parts.length - 1] = last.subarray(0, last.length - left);
        this.#partsBytes -= left;
        left = 0;
      }
    }
  }

  /** Joins the buffered parts into one NAL unit without trailing zero bytes. */
  #take(): Uint8Array | null {
    const parts = this.#parts;
    let nal: Uint8Array;
    if (parts.length === 0) return null;
    if (parts.length === 1) {
      nal = parts[0];
    } else {
      nal = new Uint8Array(this.#partsBytes);
      let o = 0;
      for (const p of parts) {
        nal.set(p, o);
        o += p.length;
      }
    }
    let e = nal.length;
    while (e > 0 && nal[e - 1] === 0) e--;
    return e === 0 ? null : nal.subarray(0, e);
  }
}

/** Options of {@linkcode AccessUnitAssembler}. */
export interface AccessUnitAssemblerOptions {
  /** An access unit with more NAL units than this is discarded (default 1024). */
  maxNalus?: number;
  /** An access unit larger than this many bytes is discarded (default 16 MiB). */
  maxBytes?: number;
}

/**
 * Groups NAL units into access units (H.264 §7.4.1.2.3): an access unit delimiter,
 * SPS, PPS, SEI (or types 14–18) after a slice, or a slice with
 * first_mb_in_slice == 0 after a slice, begins a new access unit. The access unit
 * is returned when the first NAL unit of the next one arrives, or on
 * {@linkcode flush}. Access unit delimiters and filler data are dropped (RTP
 * marks access-unit boundaries itself). After a discarded (oversized) access
 * unit, output resumes at the next IDR.
 *
 * @example
 * ```ts
 * const asm = new AccessUnitAssembler();
 * asm.push(new Uint8Array([0x67, 0x42])); // null (SPS)
 * asm.push(new Uint8Array([0x68, 0xce])); // null (PPS)
 * asm.push(new Uint8Array([0x65, 0x88])); // null (IDR slice, first_mb 0)
 * asm.push(new Uint8Array([0x41, 0x9a])); // { nalus: [sps, pps, idr], keyframe: true }
 * asm.flush(); // { nalus: [p-slice], keyframe: false }
 * ```
 */
export class AccessUnitAssembler {
  readonly #maxNalus: number;
  readonly #maxBytes: number;
  #nalus: Uint8Array[] = [];
  #bytes = 0;
  #hasSlice = false;
  #keyframe = false;
  #awaitKeyframe = false;
  #discarded = 0;

  /** Creates an assembler; see {@linkcode AccessUnitAssemblerOptions}. */
  constructor(options: AccessUnitAssemblerOptions = {}) {
    this.#maxNalus = options.maxNalus ?? 1024;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  }

  /** Access units discarded (too large, or not decodable after a discarded one). */
  get discarded(): number {
    return this.#discarded;
  }

  /** Adds the next NAL unit; returns the access unit it completed, if any. */
  push(nalu: Uint8Array): UntimedAccessUnit | null {
    if (nalu.length === 0) return null;
    const type = nalType(nalu);
    let done: UntimedAccessUnit | null = null;
    if (type === NalType.Aud || type === NalType.Filler) {
      if (this.#hasSlice) done = this.#emit();
      return done;
    }
    if (isVclType(type)) {
      if (this.#hasSlice && isFirstSliceOfPicture(nalu)) done = this.#emit();
      this.#hasSlice = true;
      if (type === NalType.Idr) this.#keyframe = true;
    } else if (
      type === NalType.Sei || type === NalType.Sps || type === NalType.Pps ||
      (type >= 14 && type <= 18)
    ) {
      if (this.#hasSlice) done = this.#emit();
    }
    this.#nalus.push(nalu);
    this.#bytes += nalu.length;
    if (this.#nalus.length > this.#maxNalus || this.#bytes > this.#maxBytes) {
      this.#drop();
      this.#awaitKeyframe = true;
    }
    return done;
  }

  /**
   * Returns the access unit in progress if it has a slice (end of stream, or
   * the writer paused after a whole picture). Parameter sets or SEI not yet
   * followed by a slice stay buffered for the next access unit.
   */
  flush(): UntimedAccessUnit | null {
    return this.#hasSlice ? this.#emit() : null;
  }

  /** Forgets the access unit in progress. */
  reset(): void {
    this.#nalus = [];
    this.#bytes = 0;
    this.#hasSlice = false;
    this.#keyframe = false;
  }

  #drop(): void {
    if (this.#hasSlice) this.#discarded++;
    this.reset();
  }

  #emit(): UntimedAccessUnit | null {
    const au = { nalus: this.#nalus, keyframe: this.#keyframe };
    this.reset();
    if (this.#awaitKeyframe) {
      if (!au.keyframe) {
        this.#discarded++;
        return null;
      }
      this.#awaitKeyframe = false;
    }
    return au;
  }
}

/**
 * Splits a complete Annex-B buffer into NAL units (views into `bytes`).
 *
 * @example
 * ```ts
 * splitAnnexB(await Deno.readFile("clip.h264")).length; // number of NAL units
 * ```
 */
export function splitAnnexB(bytes: Uint8Array): Uint8Array[] {
  const parser = new AnnexBParser({ maxNalBytes: Math.max(bytes.length, 1) });
  const nalus = parser.push(bytes);
  nalus.push(...parser.flush());
  return nalus;
}

/**
 * Groups a complete sequence of NAL units into access units.
 *
 * @example
 * ```ts
 * const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile("clip.h264")));
 * ```
 */
export function assembleAccessUnits(nalus: Iterable<Uint8Array>): UntimedAccessUnit[] {
  const asm = new AccessUnitAssembler();
  const aus: UntimedAccessUnit[] = [];
  for (const nalu of nalus) {
    const au = asm.push(nalu);
    if (au) aus.push(au);
  }
  const last = asm.flush();
  if (last) aus.push(last);
  return aus;
}

const START_CODE = new Uint8Array([0, 0, 0, 1]);

/**
 * Serializes NAL units as one Annex-B buffer with 4-byte start codes.
 *
 * @example
 * ```ts
 * toAnnexB([new Uint8Array([0x67, 0x42])]); // [0, 0, 0, 1, 0x67, 0x42]
 * ```
 */
export function toAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nalus) size += START_CODE.length + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nalus) {
    out.set(START_CODE, o);
    o += START_CODE.length;
    out.set(n, o);
    o += n.length;
  }
  return out;
}
