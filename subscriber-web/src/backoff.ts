/**
 * Reconnect back-off schedule: exponential growth with "equal jitter"
 * (half of the delay is fixed, half random), so that many viewers that lost
 * the server at the same moment do not all come back in the same millisecond,
 * while a single viewer still reconnects quickly after a short blip.
 */

export interface BackoffOptions {
  /** Delay before the first retry (attempt 0), in ms. */
  baseMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
  /** Growth factor per attempt. */
  factor: number;
  /** 0 = no jitter; 1 = the delay is uniformly spread over [d/2, d]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
};

/**
 * Delay in ms before retry number `attempt` (0-based).
 * `random` returns a number in [0, 1) and is injectable for tests.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // Cap the exponent so factor ** n never overflows to Infinity.
  const exp = Math.min(n, 64);
  const ceiling = Math.min(options.maxMs, options.baseMs * options.factor ** exp);
  const jitter = Math.min(Math.max(options.jitter, 0), 1);
  const fixed = ceiling * (1 - jitter / 2);
  const spread = ceiling - fixed;
  return Math.round(fixed + spread * clamp01(random()));
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0;
}

/** Small stateful helper around {@link backoffDelay}. */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** Number of retries handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Returns the next delay and advances the schedule. */
  next(): number {
    return backoffDelay(this.#attempt++, this.options, this.random);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
