/**
 * Counts RTP packets missing from a received stream by sequence number (RFC
 * 3550 A.3, without the probation logic): expected = highest extended sequence
 * number − first + 1; lost = expected − received. Reordered packets count once
 * they arrive; duplicates are not subtracted. Pure.
 *
 * @example
 * ```ts
 * const loss = new RtpLossCounter();
 * for (const seq of [65534, 65535, 1]) loss.add(seq); // 0 is missing
 * loss.lost; // 1
 * ```
 * @module
 */

/** Loss of one RTP stream, from its sequence numbers. */
export class RtpLossCounter {
  #first: number | null = null;
  #highest = 0; // extended across 16-bit wrap-around
  #received = 0;

  /** Records a received packet's 16-bit sequence number. */
  add(seq: number): void {
    this.#received++;
    if (this.#first === null) {
      this.#first = this.#highest = seq;
      return;
    }
    // Signed distance from the highest seen, modulo 2^16.
    const delta = ((seq - (this.#highest & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    if (delta > 0) this.#highest += delta;
  }

  /** Packets received. */
  get received(): number {
    return this.#received;
  }

  /** Packets missing so far (never negative). */
  get lost(): number {
    if (this.#first === null) return 0;
    return Math.max(0, this.#highest - this.#first + 1 - this.#received);
  }
}
