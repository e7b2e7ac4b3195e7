/**
 * Keeps the current group of pictures (the latest IDR and everything after it)
 * so a new viewer can start decoding at once instead of waiting for the next IDR.
 *
 * @module
 */

import { type AccessUnit, accessUnitBytes } from "./access_unit.ts";

/** Bounds of a {@linkcode GopCache}. */
export interface GopCacheOptions {
  /** Most access units kept (default 300: 10 s at 30 fps). */
  maxAccessUnits?: number;
  /** Most bytes kept (default 8 MiB). */
  maxBytes?: number;
}

/**
 * The access units from the latest IDR on. A replay must be an unbroken chain
 * from an IDR, so when a GOP outgrows the bounds the cache empties itself and
 * stays empty until the next IDR (new viewers then wait for it).
 *
 * @example
 * ```ts
 * const cache = new GopCache({ maxAccessUnits: 120 });
 * for (const au of source) cache.push(au);
 * const replay = cache.snapshot(); // [IDR, P, P, …] or [] before the first IDR
 * ```
 */
export class GopCache {
  readonly #maxAccessUnits: number;
  readonly #maxBytes: number;
  #aus: AccessUnit[] = [];
  #bytes = 0;

  /** Creates an empty cache; see {@linkcode GopCacheOptions}. */
  constructor(options: GopCacheOptions = {}) {
    this.#maxAccessUnits = options.maxAccessUnits ?? 300;
    this.#maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  /** Number of cached access units. */
  get size(): number {
    return this.#aus.length;
  }

  /** Bytes of NAL units cached. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds the next access unit of the stream. */
  push(au: AccessUnit): void {
    const size = accessUnitBytes(au);
    if (au.keyframe) {
      this.#aus = [];
      this.#bytes = 0;
    } else if (this.#aus.length === 0) {
      return; // no IDR to build on
    }
    if (this.#aus.length + 1 > this.#maxAccessUnits || this.#bytes + size > this.#maxBytes) {
      this.clear();
      return;
    }
    this.#aus.push(au);
    this.#bytes += size;
  }

  /** The cached access units, oldest (the IDR) first; a copy of the list. */
  snapshot(): AccessUnit[] {
    return this.#aus.slice();
  }

  /** Empties the cache (e.g. when the source restarts). */
  clear(): void {
    this.#aus = [];
    this.#bytes = 0;
  }
}
