/**
 * This node's view of the cluster: it announces itself on the bus topic
 * `cluster.node` every `announceMs` (and at once when it hears a node it did
 * not know, so a newcomer learns everyone within a round trip) and keeps the
 * nodes heard within `expireMs` (membership.ts). A node that stops cleanly
 * says so (`leaving`) and is gone at once; one that crashes or is cut off
 * leaves after `expireMs`. In one process (no broker) the cluster is this
 * node alone: nothing is announced.
 *
 * @example
 * ```ts
 * const members = new ClusterMembers(bus, { nodeId: "a", announceMs: 5_000 });
 * members.nodes(); // ["a", "b"]
 * members.close();
 * ```
 * @module
 */
import type { EventBus } from "../bus/bus.ts";
import { topics } from "../bus/topics.ts";
import { Membership } from "./membership.ts";

/** Options of {@linkcode ClusterMembers}. */
export interface MembersOptions {
  nodeId: string;
  /** How often to announce (0: one process, never). */
  announceMs: number;
  /** A node not heard this long has left (default 3 × announceMs). */
  expireMs?: number;
  now?: () => number;
}

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The live nodes of the cluster, this one included. */
export class ClusterMembers {
  readonly nodeId: string;
  readonly #bus: EventBus;
  readonly #set: Membership;
  readonly #now: () => number;
  readonly #clustered: boolean;
  #off: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(bus: EventBus, o: MembersOptions) {
    this.nodeId = o.nodeId;
    this.#bus = bus;
    this.#now = o.now ?? (() => Date.now());
    this.#clustered = o.announceMs > 0;
    this.#set = new Membership(o.nodeId, o.expireMs ?? 3 * o.announceMs);
    this.#off = bus.subscribe(topics.nodeAnnounce, (m) => {
      if (!this.#clustered || typeof m?.node !== "string" || !NODE_ID.test(m.node)) return;
      if (m.leaving === true) return this.#set.left(m.node);
      // A newcomer (or one back after a split) learns of this node now, not at the next round.
      if (this.#set.heard(m.node, this.#now())) this.announce();
    });
    if (this.#clustered) {
      this.#timer = setInterval(() => {
        this.#set.expire(this.#now());
        this.announce();
      }, o.announceMs);
      this.announce();
    }
  }

  /** The live nodes, this one first. */
  nodes(): string[] {
    return this.#set.nodes(this.#now());
  }

  /** Tells the others this node is alive (also after a bus outage). */
  announce(): void {
    if (this.#clustered) this.#bus.publish(topics.nodeAnnounce, { node: this.nodeId });
  }

  /** Stops announcing and tells the others this node leaves (before the bus closes). */
  close(): void {
    clearInterval(this.#timer);
    this.#off();
    if (this.#clustered) {
      this.#bus.publish(topics.nodeAnnounce, { node: this.nodeId, leaving: true });
    }
  }
}
