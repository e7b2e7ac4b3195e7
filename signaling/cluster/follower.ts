/**
 * Follows the store's durable cluster event log (store/cluster.ts) and runs
 * this node's handler for each new event, in order, once. The log is the
 * truth; bus nudges and the store poll only say when to read it, so a node
 * that missed a message (bus outage, restart) catches up from where it was.
 * Events older than the node's start are history: their effects are in the
 * state it loaded at start.
 *
 * @example
 * ```ts
 * const f = await ClusterFollower.start(store, { "keys.rotated": () => reloadKeys() });
 * await f.check(); // reads and handles what was appended since
 * ```
 * @module
 */
import type { ClusterEvent, ClusterEventKind, Store } from "../store/store.ts";

/** A handler per event kind (kinds without one are skipped). */
export type ClusterHandlers = Partial<
  Record<ClusterEventKind, (e: ClusterEvent) => void | Promise<void>>
>;

/** Reads new cluster events and dispatches them. */
export class ClusterFollower {
  #seq: number;
  #running: Promise<void> | null = null;
  #again = false;

  private constructor(
    private readonly store: Store,
    private readonly handlers: ClusterHandlers,
    seq: number,
  ) {
    this.#seq = seq;
  }

  /**
   * Starts after event `seq` (default: the newest now in the log). A node
   * reads `seq` before it loads its state, so that nothing committed while
   * it loaded (another node's first key, say) goes unhandled.
   */
  static async start(
    store: Store,
    handlers: ClusterHandlers,
    seq?: number,
  ): Promise<ClusterFollower> {
    return new ClusterFollower(store, handlers, seq ?? await store.events.last());
  }

  /** The number of the last event handled. */
  get seq(): number {
    return this.#seq;
  }

  /** Reads and handles new events; concurrent calls coalesce into one more pass. */
  check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again);
    })().catch((err) => {
      console.error(`cluster: reading events failed: ${(err as Error).message}`);
    }).finally(() => this.#running = null);
    return this.#running;
  }

  async #pass(): Promise<void> {
    for (;;) {
      const events = await this.store.events.after(this.#seq, 500);
      for (const e of events) {
        const h = this.handlers[e.kind];
        try {
          await h?.(e);
        } catch (err) {
          console.error(`cluster: handling ${e.kind} ${e.seq} failed: ${(err as Error).message}`);
        }
        this.#seq = e.seq;
      }
      if (events.length < 500) return;
    }
  }

  /** Resolves when a pass under way has finished. */
  async stop(): Promise<void> {
    await this.#running;
  }
}
