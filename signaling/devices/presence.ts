/**
 * Which cameras are online, since when, and how many viewers each one's
 * publisher accepts. Changes are published on the bus topic `presence`, so
 * any listener (the SSE stream, another node) follows.
 * @module
 */
import type { EventBus } from "../bus/bus.ts";
import { type PresenceMessage, topics } from "../bus/topics.ts";

/** Presence of one camera. */
export type CameraPresence = PresenceMessage;

/** Tracks camera presence and announces changes. */
export class Presence {
  #cameras = new Map<string, CameraPresence>();
  constructor(private readonly bus: EventBus, private readonly now = () => Date.now()) {}

  /** Marks a camera online (idempotent; a new label or limit is kept). */
  online(id: string, label: string, maxViewers: number | null = null): void {
    const cur = this.#cameras.get(id);
    if (cur?.online) {
      cur.label = label || cur.label;
      cur.maxViewers = maxViewers;
      return;
    }
    this.#set({
      id,
      label: label || cur?.label || id,
      online: true,
      since: this.now(),
      maxViewers,
    });
  }

  /** Marks a camera offline (idempotent). */
  offline(id: string): void {
    const cur = this.#cameras.get(id);
    if (!cur || !cur.online) return;
    this.#set({ ...cur, online: false, since: this.now(), maxViewers: null });
  }

  /** The presence of a camera (offline since server start when never seen). */
  get(id: string): CameraPresence | undefined {
    return this.#cameras.get(id);
  }

  #set(p: CameraPresence) {
    this.#cameras.set(p.id, p);
    this.bus.publish(topics.presence, { ...p });
  }
}
