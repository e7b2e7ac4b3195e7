/**
 * Which cameras are online, since when, how many viewers each one's
 * publisher accepts, and (in a cluster) which node holds its channel.
 *
 * Each node reports the cameras connected to it on the bus topic `presence`
 * (with its node id) and follows the other nodes' reports, so a camera on
 * node A is online for a viewer on node B. An "offline" counts only from the
 * node that holds the camera: a camera that moved to B after A lost it stays
 * online when A's late report arrives. Nodes re-announce their cameras every
 * `announceMs` and answer `presence.sync` (sent at start and after a bus
 * outage); a camera whose node fell silent for `expireMs` (SIGKILL, network
 * split) is offline. Local listeners ({@linkcode Presence.subscribe}: the SSE
 * streams) get every effective change once.
 * @module
 */
import type { EventBus } from "../bus/bus.ts";
import { type PresenceMessage, topics } from "../bus/topics.ts";

/** Presence of one camera. */
export type CameraPresence = PresenceMessage;

type Entry = CameraPresence & { node: string; seenAt: number };

/** Options of {@linkcode Presence} beyond the bus. */
export interface PresenceOptions {
  /** This node's id (default: a random one; single process needs none). */
  nodeId?: string;
  now?: () => number;
  /** How often this node re-announces its cameras (default 5 s; 0: never, one process). */
  announceMs?: number;
  /** A remote camera not re-announced this long is offline (default 3 × announceMs). */
  expireMs?: number;
}

/** Tracks camera presence, here and on other nodes, and announces changes. */
export class Presence {
  readonly nodeId: string;
  #cameras = new Map<string, Entry>();
  #listeners = new Set<(p: CameraPresence) => void>();
  #now: () => number;
  #offs: (() => void)[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #expireMs: number;

  constructor(private readonly bus: EventBus, o: PresenceOptions | (() => number) = {}) {
    const opts = typeof o === "function" ? { now: o } : o;
    this.nodeId = opts.nodeId ?? crypto.randomUUID().slice(0, 8);
    this.#now = opts.now ?? (() => Date.now());
    const announceMs = opts.announceMs ?? 0;
    this.#expireMs = opts.expireMs ?? 3 * announceMs;
    this.#offs.push(
      bus.subscribe(topics.presence, (m) => this.#remote(m)),
      bus.subscribe(topics.presenceSync, (m) => {
        if (m.node !== this.nodeId) this.announce();
      }),
    );
    if (announceMs > 0) {
      this.#timer = setInterval(() => {
        this.announce();
        this.#expire();
      }, announceMs);
    }
  }

  /** Marks a camera online here (idempotent; a new label or limit is kept). */
  online(id: string, label: string, maxViewers: number | null = null): void {
    const cur = this.#cameras.get(id);
    if (cur?.online && cur.node === this.nodeId) {
      cur.label = label || cur.label;
      cur.maxViewers = maxViewers;
      return;
    }
    this.#setLocal({
      id,
      label: label || cur?.label || id,
      online: true,
      since: this.#now(),
      maxViewers,
    });
  }

  /** Marks a camera offline here (idempotent; no effect if another node holds it now). */
  offline(id: string): void {
    const cur = this.#cameras.get(id);
    if (!cur || !cur.online || cur.node !== this.nodeId) return;
    this.#setLocal({ ...cur, online: false, since: this.#now(), maxViewers: null });
  }

  /** The presence of a camera (undefined: never seen since start). */
  get(id: string): CameraPresence | undefined {
    const e = this.#cameras.get(id);
    if (!e) return undefined;
    const { node: _n, seenAt: _s, ...p } = e;
    return p;
  }

  /** Calls `fn` on every change of a camera's presence; returns an unsubscribe. */
  subscribe(fn: (p: CameraPresence) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Asks the other nodes for their cameras (at start, after a bus outage). */
  sync(): void {
    this.bus.publish(topics.presenceSync, { node: this.nodeId });
  }

  /** Re-announces the cameras connected here. */
  announce(): void {
    for (const e of this.#cameras.values()) {
      if (e.node === this.nodeId && e.online) this.bus.publish(topics.presence, this.#message(e));
    }
  }

  close(): void {
    clearInterval(this.#timer);
    for (const off of this.#offs) off();
  }

  #message(e: Entry): PresenceMessage {
    return {
      id: e.id,
      label: e.label,
      online: e.online,
      since: e.since,
      maxViewers: e.maxViewers,
      node: e.node,
    };
  }

  #setLocal(p: CameraPresence): void {
    const e: Entry = { ...p, node: this.nodeId, seenAt: this.#now() };
    this.#cameras.set(p.id, e);
    this.bus.publish(topics.presence, this.#message(e));
    this.#emit(e);
  }

  #remote(m: PresenceMessage): void {
    const node = m.node ?? "";
    if (node === this.nodeId) return;
    const cur = this.#cameras.get(m.id);
    if (!m.online && cur && cur.node !== node) return; // a late word from a former holder
    const changed = !cur || cur.online !== m.online || cur.node !== node ||
      cur.label !== m.label || cur.maxViewers !== m.maxViewers;
    const e: Entry = {
      id: m.id,
      label: m.label,
      online: m.online,
      since: changed ? m.since : cur!.since,
      maxViewers: m.maxViewers,
      node,
      seenAt: this.#now(),
    };
    this.#cameras.set(m.id, e);
    if (changed && (!cur || cur.online !== m.online)) this.#emit(e);
  }

  #expire(): void {
    if (this.#expireMs <= 0) return;
    const now = this.#now();
    for (const e of this.#cameras.values()) {
      if (e.node !== this.nodeId && e.online && now - e.seenAt > this.#expireMs) {
        const off: Entry = { ...e, online: false, since: now, maxViewers: null, seenAt: now };
        this.#cameras.set(e.id, off);
        this.#emit(off);
      }
    }
  }

  #emit(e: Entry): void {
    const p = this.get(e.id)!;
    for (const fn of this.#listeners) {
      try {
        fn({ ...p });
      } catch (err) {
        console.error(`presence: listener failed: ${(err as Error).message}`);
      }
    }
  }
}
