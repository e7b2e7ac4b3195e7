/**
 * A bounded single-consumer async queue of access units: the bridge between a
 * source's producer (timer, pipe reader) and the `for await` of its consumer.
 * When the consumer lags beyond the bound, the queue is emptied and refills
 * only from the next keyframe, so memory stays bounded and output stays decodable.
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";

/**
 * Bounded single-consumer queue of access units with keyframe-aware dropping.
 *
 * @example
 * ```ts
 * const channel = new AccessUnitChannel(60);
 * channel.push(au);
 * channel.close();
 * for await (const x of channel) console.log(x.timestamp);
 * ```
 */
export class AccessUnitChannel implements AsyncIterable<AccessUnit> {
  readonly #capacity: number;
  #items: AccessUnit[] = [];
  #head = 0;
  #waiter: ((r: IteratorResult<AccessUnit>) => void) | null = null;
  #closed = false;
  #awaitKeyframe = false;
  #dropped = 0;
  #onReturn?: () => void;

  /**
   * Creates an open channel.
   *
   * @param capacity most queued access units (default 60)
   * @param onReturn called when the consumer leaves its loop early
   */
  constructor(capacity = 60, onReturn?: () => void) {
    this.#capacity = capacity;
    this.#onReturn = onReturn;
  }

  /** Access units dropped because the consumer lagged. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues an access unit (or hands it to a waiting consumer); false if dropped. */
  push(au: AccessUnit): boolean {
    if (this.#closed) return false;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      this.#awaitKeyframe = false;
      w({ value: au, done: false });
      return true;
    }
    if (this.#awaitKeyframe && !au.keyframe) {
      this.#dropped++;
      return false;
    }
    this.#awaitKeyframe = false;
    if (this.#items.length - this.#head >= this.#capacity) {
      this.#dropped += this.#items.length - this.#head;
      this.#items = [];
      this.#head = 0;
      if (!au.keyframe) {
        this.#awaitKeyframe = true;
        this.#dropped++;
        return false;
      }
    }
    this.#items.push(au);
    return true;
  }

  /** Ends the stream; the consumer still gets what is queued, then `done`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w({ value: undefined, done: true });
    }
  }

  /** Next access unit, or done once closed and drained. */
  next(): Promise<IteratorResult<AccessUnit>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head++];
      if (this.#head > 64 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter) return Promise.reject(new Error("AccessUnitChannel has a single consumer"));
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** Iterates until closed and drained; leaving the loop early closes the channel. */
  [Symbol.asyncIterator](): AsyncIterator<AccessUnit> {
    return {
      next: () => this.next(),
      return: () => {
        this.#onReturn?.();
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
