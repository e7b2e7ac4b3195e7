/**
 * Failure throttling with exponential backoff, per key (an account, an
 * address). Pure and clock-injected so it can be tested in-process.
 *
 * @example
 * ```ts
 * const t = new Throttle({ freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 60_000 });
 * if (t.retryAfterMs("ip:1.2.3.4") > 0) return 429;
 * t.fail("ip:1.2.3.4");
 * ```
 * @module
 */

/** Throttle tuning. */
export interface ThrottleOptions {
  /** Failures allowed before any delay. */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures are forgotten after this long without a new one. */
  forgetAfterMs?: number;
  /** Most keys remembered (oldest dropped first) to bound memory. */
  maxKeys?: number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Counts failures per key and says how long a key must wait. */
export class Throttle {
  #entries = new Map<string, Entry>();
  constructor(readonly options: ThrottleOptions, private readonly now = () => Date.now()) {}

  /** Milliseconds the key must still wait (0 = allowed now). */
  retryAfterMs(key: string): number {
    const e = this.#get(key);
    return e ? Math.max(0, e.lockedUntil - this.now()) : 0;
  }

  /** Records a failure and returns the new wait. */
  fail(key: string): number {
    const now = this.now();
    const e = this.#get(key) ?? { failures: 0, lockedUntil: 0, lastFailure: now };
    e.failures++;
    e.lastFailure = now;
    const over = e.failures - this.options.freeFailures;
    if (over > 0) {
      const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (over - 1));
      e.lockedUntil = now + delay;
    }
    this.#entries.delete(key);
    this.#entries.set(key, e);
    const max = this.options.maxKeys ?? 100_000;
    while (this.#entries.size > max) this.#entries.delete(this.#entries.keys().next().value!);
    return Math.max(0, e.lockedUntil - now);
  }

  /** Forgets a key's failures (after a success). */
  succeed(key: string): void {
    this.#entries.delete(key);
  }

  #get(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    const forget = this.options.forgetAfterMs ?? 15 * 60_000;
    if (e && this.now() - e.lastFailure > forget && this.now() >= e.lockedUntil) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
}
