/**
 * Which request/reply topics have a responder somewhere in the cluster, as
 * far as this node has heard. NATS cannot tell cheaply whether a subject has
 * a subscriber (a request learns it only by getting "no responders"), yet
 * `EventBus.hasResponder` is synchronous: it answers "is this camera
 * reachable?" before a WHEP offer is admitted. So each node announces its
 * responder topics on the bus (at once when they change, and all of them on a
 * heartbeat) and every node keeps this directory. An entry lives `ttlMs`
 * after its last announcement, so the topics of a node that died without a
 * word disappear after a few missed heartbeats. The request itself stays
 * authoritative: NATS still answers "no responders" when nobody subscribes.
 *
 * Pure: the clock is passed in.
 *
 * @example
 * ```ts
 * const dir = new ResponderDirectory(3_000);
 * dir.apply({ v: 1, node: "b", kind: "refresh", topics: ["camera.cam1.offer"] }, Date.now());
 * dir.has("camera.cam1.offer", Date.now()); // true, for 3 s unless refreshed
 * ```
 * @module
 */
/** An announcement on the directory subject. */
export interface DirectoryMessage {
  v: 1;
  /** The announcing node's id. */
  node: string;
  /**
   * `refresh`: these topics have a responder on `node` (adds or renews them);
   * `remove`: no longer; `hello`: `node` just joined and asks everyone to
   * refresh now; `bye`: `node` leaves, drop all of its topics.
   */
  kind: "refresh" | "remove" | "hello" | "bye";
  topics: string[];
}

/** Largest number of topics in one announcement (keeps a message far below NATS's 1 MB). */
export const TOPICS_PER_MESSAGE = 500;

/** Parses an announcement; null when it is not one (foreign or damaged traffic). */
export function parseDirectoryMessage(x: unknown): DirectoryMessage | null {
  if (typeof x !== "object" || x === null) return null;
  const m = x as Record<string, unknown>;
  const kinds = ["refresh", "remove", "hello", "bye"];
  if (m.v !== 1 || typeof m.node !== "string" || m.node.length === 0 || m.node.length > 64) {
    return null;
  }
  if (typeof m.kind !== "string" || !kinds.includes(m.kind)) return null;
  if (!Array.isArray(m.topics) || m.topics.length > TOPICS_PER_MESSAGE) return null;
  if (!m.topics.every((t) => typeof t === "string" && t.length <= 256)) return null;
  return m as unknown as DirectoryMessage;
}

/** Splits a node's topics into `refresh` announcements of at most {@link TOPICS_PER_MESSAGE}. */
export function refreshMessages(node: string, topics: Iterable<string>): DirectoryMessage[] {
  const all = [...topics];
  const out: DirectoryMessage[] = [];
  for (let i = 0; i < all.length; i += TOPICS_PER_MESSAGE) {
    out.push({ v: 1, node, kind: "refresh", topics: all.slice(i, i + TOPICS_PER_MESSAGE) });
  }
  return out;
}

/** The directory of remote responders; see the module doc. */
export class ResponderDirectory {
  /** topic → node → expiry (ms since the epoch). */
  #entries = new Map<string, Map<string, number>>();

  constructor(readonly ttlMs: number) {}

  /** Applies an announcement received at `now`. */
  apply(m: DirectoryMessage, now: number): void {
    if (m.kind === "bye") return this.#forget(m.node);
    for (const topic of m.topics) {
      let nodes = this.#entries.get(topic);
      if (m.kind === "refresh") {
        if (!nodes) this.#entries.set(topic, nodes = new Map());
        nodes.set(m.node, now + this.ttlMs);
      } else if (m.kind === "remove" && nodes) {
        nodes.delete(m.node);
        if (nodes.size === 0) this.#entries.delete(topic);
      }
    }
  }

  /** Whether some node announced a responder for `topic` within the TTL. */
  has(topic: string, now: number): boolean {
    const nodes = this.#entries.get(topic);
    if (!nodes) return false;
    for (const expires of nodes.values()) if (expires > now) return true;
    return false;
  }

  /** Drops expired entries (call now and then: `has` does not remove them). */
  sweep(now: number): void {
    for (const [topic, nodes] of this.#entries) {
      for (const [node, expires] of nodes) if (expires <= now) nodes.delete(node);
      if (nodes.size === 0) this.#entries.delete(topic);
    }
  }

  /** Number of topics with at least one entry (expired or not). */
  get size(): number {
    return this.#entries.size;
  }

  #forget(node: string): void {
    for (const [topic, nodes] of this.#entries) {
      nodes.delete(node);
      if (nodes.size === 0) this.#entries.delete(topic);
    }
  }
}
