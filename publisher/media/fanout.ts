/**
 * Fan-out of one source's access units to many subscribers (one per viewer,
 * plus the recorder), with a GOP-cache replay for late joiners and bounded,
 * keyframe-aware queues for slow subscribers. Pure: no I/O, no timers, no werift.
 *
 * ## Callback contract
 *
 * A subscriber is a function `sink(au, delivery)`:
 * - It is called once per access unit, in decoding order, never concurrently.
 * - If it returns `void`, the unit counts as consumed at once. Such a sink must
 *   be quick (packetize and hand to the socket): it runs inside
 *   {@linkcode FanoutHub.publish}.
 * - If it returns a promise, the hub waits for it before calling again, and
 *   queues what arrives meanwhile. A queue that outgrows its bounds first loses
 *   its disposable (non-reference) units, then everything until the next IDR:
 *   memory stays bounded and the subscriber resumes on a decodable picture.
 * - A throw or rejection is counted (and reported to `onError`); delivery goes on.
 *
 * ## Timestamps
 *
 * The hub's timeline is the source's `timestamp` (90 kHz), made strictly
 * increasing even across source restarts. Each subscriber sees that timeline
 * plus its own offset. A new subscriber first gets the cached GOP with its
 * timestamps squeezed `replayStepTicks` apart, ending at the cached GOP's last
 * timestamp, so the burst decodes at once and the live units that follow keep
 * their natural spacing (offset 0 for a subscriber that joined with a replay).
 * Timestamps a subscriber sees are strictly increasing; add a per-stream random
 * base and wrap to 32 bits when writing RTP.
 *
 * @module
 */

import { type AccessUnit, accessUnitBytes, isDisposable } from "./access_unit.ts";
import { GopCache, type GopCacheOptions } from "./gop_cache.ts";
import { ParameterSetCache } from "./parameter_sets.ts";

/** What the hub tells a sink about one delivered access unit. */
export interface Delivery {
  /** True for units of the GOP replay (their content is older than their timestamp suggests). */
  replayed: boolean;
  /** The unit's timestamp on the hub's timeline, before this subscriber's offset. */
  sourceTimestamp: number;
}

/** A subscriber's callback; see the module documentation for the contract. */
export type AccessUnitSink = (au: AccessUnit, delivery: Delivery) => void | Promise<void>;

/** Options of {@linkcode FanoutHub.subscribe}. */
export interface SubscribeOptions {
  /** Start with the cached GOP (default true); otherwise wait for the next IDR. */
  replay?: boolean;
  /** Most live units queued behind a pending sink promise (default 60). */
  maxQueue?: number;
  /** Most live bytes queued behind a pending sink promise (default 4 MiB). */
  maxQueueBytes?: number;
  /** Shortest interval between two replays asked by {@linkcode Subscription.requestKeyframe} (default 1000 ms). */
  minKeyframeIntervalMs?: number;
  /** Called with errors thrown or rejected by the sink. */
  onError?: (error: unknown) => void;
}

/** Counters of one subscription. */
export interface SubscriptionStats {
  /** Units handed to the sink (replayed ones included). */
  delivered: number;
  /** Units of GOP replays handed to the sink. */
  replayed: number;
  /** Units never handed to the sink (queue overflow, waiting for an IDR). */
  dropped: number;
  /** Units waiting in the queue. */
  queued: number;
  /** Bytes waiting in the queue. */
  queuedBytes: number;
  /** True while units are skipped until the next IDR. */
  waitingForKeyframe: boolean;
  /** Sink errors. */
  errors: number;
}

/** Handle of one subscriber. */
export interface Subscription {
  /** Identifier, unique within the hub. */
  readonly id: number;
  /** A snapshot of the counters. */
  readonly stats: SubscriptionStats;
  /**
   * Asks for a decodable restart (an RTCP PLI/FIR from the viewer, a watchdog):
   * the encoder cannot make an IDR on demand, so the cached GOP is replayed
   * after what was already sent, with timestamps continuing. Rate-limited by
   * `minKeyframeIntervalMs`; returns false when ignored or nothing is cached.
   */
  requestKeyframe(nowMs?: number): boolean;
  /** Stops delivery and drops the queue. Idempotent. */
  unsubscribe(): void;
}

/** Options of {@linkcode FanoutHub}. */
export interface FanoutOptions {
  /** Bounds of the GOP cache. */
  gop?: GopCacheOptions;
  /** Timestamp spacing of replayed units, in 90 kHz ticks (default 90 = 1 ms). */
  replayStepTicks?: number;
}

/** Hub-wide counters. */
export interface FanoutStats {
  /** Units published. */
  published: number;
  /** Current subscribers. */
  subscribers: number;
  /** Units in the GOP cache. */
  cachedAccessUnits: number;
  /** Units delivered, summed over current subscribers. */
  delivered: number;
  /** Units dropped, summed over current subscribers. */
  dropped: number;
}

interface QueueItem {
  au: AccessUnit;
  delivery: Delivery;
  bytes: number;
}

/** Typical 30 fps frame spacing, used when the source's timeline restarts. */
const RESTART_STEP_TICKS = 3000;

/**
 * Receives access units from one source and delivers them to subscribers.
 * Keyframes leave the hub with SPS/PPS in front, even if the source sent those
 * only once.
 *
 * @example
 * ```ts
 * const hub = new FanoutHub();
 * const sub = hub.subscribe((au, { replayed }) => {
 *   for (const p of packetizer.packetize(au)) send(p, base + au.timestamp);
 * });
 * for await (const au of source) hub.publish(au);
 * sub.unsubscribe();
 * ```
 */
export class FanoutHub {
  readonly #gop: GopCache;
  readonly #parameterSets = new ParameterSetCache();
  readonly #replayStep: number;
  readonly #subscribers = new Map<number, SubscriberState>();
  #nextId = 1;
  #published = 0;
  #lastInput = -Infinity;
  #lastDelta = RESTART_STEP_TICKS;
  #inputOffset = 0;

  /** Creates a hub; see {@linkcode FanoutOptions}. */
  constructor(options: FanoutOptions = {}) {
    this.#gop = new GopCache(options.gop);
    this.#replayStep = Math.max(1, Math.round(options.replayStepTicks ?? 90));
  }

  /** Hub-wide counters. */
  get stats(): FanoutStats {
    let delivered = 0;
    let dropped = 0;
    for (const s of this.#subscribers.values()) {
      delivered += s.delivered;
      dropped += s.dropped;
    }
    return {
      published: this.#published,
      subscribers: this.#subscribers.size,
      cachedAccessUnits: this.#gop.size,
      delivered,
      dropped,
    };
  }

  /** Number of current subscribers. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Delivers the next access unit of the source to every subscriber. */
  publish(au: AccessUnit): void {
    let ts = au.timestamp + this.#inputOffset;
    if (ts <= this.#lastInput) {
      // The source restarted its timeline: continue ours.
      this.#inputOffset += this.#lastInput + this.#lastDelta - ts;
      ts = this.#lastInput + this.#lastDelta;
    } else if (this.#lastInput !== -Infinity) {
      this.#lastDelta = ts - this.#lastInput;
    }
    this.#lastInput = ts;
    const nalus = this.#parameterSets.complete(au.nalus, au.keyframe);
    const unit: AccessUnit = nalus === au.nalus && ts === au.timestamp
      ? au
      : { ...au, nalus, timestamp: ts };
    this.#published++;
    this.#gop.push(unit);
    for (const s of [...this.#subscribers.values()]) s.offerLive(unit);
  }

  /**
   * Adds a subscriber. It first receives the cached GOP (unless `replay` is
   * false or nothing is cached), then live units from the next publish on.
   */
  subscribe(sink: AccessUnitSink, options: SubscribeOptions = {}): Subscription {
    const id = this.#nextId++;
    const state = new SubscriberState(sink, options, () => this.#subscribers.delete(id));
    this.#subscribers.set(id, state);
    if (options.replay ?? true) state.replay(this.#gop.snapshot(), this.#replayStep);
    const gop = this.#gop;
    const step = this.#replayStep;
    const minInterval = options.minKeyframeIntervalMs ?? 1000;
    let lastRequest = -Infinity;
    return {
      id,
      get stats() {
        return state.stats();
      },
      requestKeyframe(nowMs = Date.now()): boolean {
        if (state.closed || nowMs - lastRequest < minInterval) return false;
        const aus = gop.snapshot();
        if (aus.length === 0) return false;
        lastRequest = nowMs;
        state.restartWithReplay(aus, step);
        return true;
      },
      unsubscribe: () => state.close(),
    };
  }

  /** Unsubscribes everyone. */
  close(): void {
    for (const s of [...this.#subscribers.values()]) s.close();
  }
}

/** Per-subscriber queue, offset and counters. */
class SubscriberState {
  readonly #sink: AccessUnitSink;
  readonly #maxQueue: number;
  readonly #maxQueueBytes: number;
  readonly #onError?: (error: unknown) => void;
  readonly #onClose: () => void;
  #queue: QueueItem[] = [];
  #liveQueued = 0;
  #liveBytes = 0;
  #replayBytes = 0;
  #busy = false;
  #offset = 0;
  #lastOut = -Infinity;
  #waitKeyframe = true;
  closed = false;
  delivered = 0;
  replayed = 0;
  dropped = 0;
  errors = 0;

  constructor(sink: AccessUnitSink, options: SubscribeOptions, onClose: () => void) {
    this.#sink = sink;
    this.#maxQueue = options.maxQueue ?? 60;
    this.#maxQueueBytes = options.maxQueueBytes ?? 4 * 1024 * 1024;
    this.#onError = options.onError;
    this.#onClose = onClose;
  }

  stats(): SubscriptionStats {
    return {
      delivered: this.delivered,
      replayed: this.replayed,
      dropped: this.dropped,
      queued: this.#queue.length,
      queuedBytes: this.#liveBytes + this.#replayBytes,
      waitingForKeyframe: this.#waitKeyframe,
      errors: this.errors,
    };
  }

  /** Queues `aus` (a GOP from its IDR) with squeezed timestamps ending after what was sent. */
  replay(aus: AccessUnit[], step: number): void {
    if (aus.length === 0 || this.closed) return;
    const n = aus.length;
    let start = aus[n - 1].timestamp + this.#offset - (n - 1) * step;
    if (start <= this.#lastOut) {
      this.#offset += this.#lastOut + step - start;
      start = this.#lastOut + step;
    }
    this.#waitKeyframe = false;
    for (let k = 0; k < n; k++) {
      const au = aus[k];
      const timestamp = start + k * step;
      this.#lastOut = timestamp;
      const bytes = accessUnitBytes(au);
      this.#replayBytes += bytes;
      this.#enqueue({
        au: { ...au, timestamp },
        delivery: { replayed: true, sourceTimestamp: au.timestamp },
        bytes,
      });
    }
    this.#drain();
  }

  /** Drops what is queued and replays `aus`. */
  restartWithReplay(aus: AccessUnit[], step: number): void {
    this.dropped += this.#queue.length;
    this.#clearQueue();
    this.replay(aus, step);
  }

  offerLive(au: AccessUnit): void {
    if (this.closed) return;
    if (this.#waitKeyframe) {
      if (!au.keyframe) {
        this.dropped++;
        return;
      }
      this.#waitKeyframe = false;
    }
    let timestamp = au.timestamp + this.#offset;
    if (timestamp <= this.#lastOut) {
      this.#offset += this.#lastOut + 1 - timestamp;
      timestamp = this.#lastOut + 1;
    }
    this.#lastOut = timestamp;
    const bytes = accessUnitBytes(au);
    this.#liveQueued++;
    this.#liveBytes += bytes;
    this.#enqueue({
      au: timestamp === au.timestamp ? au : { ...au, timestamp },
      delivery: { replayed: false, sourceTimestamp: au.timestamp },
      bytes,
    });
    this.#enforceBounds();
    this.#drain();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#clearQueue();
    this.#onClose();
  }

  #enqueue(item: QueueItem): void {
    this.#queue.push(item);
  }

  #clearQueue(): void {
    this.#queue = [];
    this.#liveQueued = 0;
    this.#liveBytes = 0;
    this.#replayBytes = 0;
  }

  #dequeue(index: number): QueueItem {
    const [item] = this.#queue.splice(index, 1);
    if (item.delivery.replayed) {
      this.#replayBytes -= item.bytes;
    } else {
      this.#liveQueued--;
      this.#liveBytes -= item.bytes;
    }
    return item;
  }

  /** Keeps the live part of the queue within bounds: disposable units first, then all until an IDR. */
  #enforceBounds(): void {
    const over = () => this.#liveQueued > this.#maxQueue || this.#liveBytes > this.#maxQueueBytes;
    while (over()) {
      const i = this.#queue.findIndex((it) => !it.delivery.replayed && isDisposable(it.au));
      if (i < 0) break;
      this.#dequeue(i);
      this.dropped++;
    }
    if (!over()) return;
    const newest = this.#queue[this.#queue.length - 1];
    this.dropped += this.#queue.length;
    this.#clearQueue();
    if (newest.au.keyframe) {
      this.dropped--;
      this.#liveQueued = 1;
      this.#liveBytes = newest.bytes;
      this.#queue.push(newest);
    } else {
      this.#waitKeyframe = true;
    }
  }

  #drain(): void {
    while (!this.#busy && !this.closed && this.#queue.length > 0) {
      const item = this.#dequeue(0);
      this.#invoke(item);
    }
  }

  #invoke(item: QueueItem): void {
    this.delivered++;
    if (item.delivery.replayed) this.replayed++;
    let result: void | Promise<void>;
    try {
      result = this.#sink(item.au, item.delivery);
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (result && typeof (result as Promise<void>).then === "function") {
      this.#busy = true;
      (result as Promise<void>).then(
        () => this.#settle(),
        (error) => {
          this.#fail(error);
          this.#settle();
        },
      );
    }
  }

  #settle(): void {
    this.#busy = false;
    this.#drain();
  }

  #fail(error: unknown): void {
    this.errors++;
    try {
      this.#onError?.(error);
    } catch {
      // A failing error handler must not break delivery to others.
    }
  }
}
