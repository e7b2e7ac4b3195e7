/**
 * Which cameras are online and since when. Changes are published on the bus
 * topic `presence` so any listener (the SSE stream, another node) follows.
 * @module
 */
import type { EventBus } from "../bus/bus.ts";

/** Presence of one camera. */
export interface CameraPresence {
  id: string;
  label: string;
  online: boolean;
  since: number;
}

/** Tracks camera presence and announces changes. */
export class Presence {
  #cameras = new Map<string, CameraPresence>();
  constructor(private readonly bus: EventBus, private readonly now = () => Date.now()) {}

  /** Marks a camera online (idempotent). */
  online(id: string, label: string): void {
    const cur = this.#cameras.get(id);
    if (cur?.online) {
      cur.label = label || cur.label;
      return;
    }
    this.#set({ id, label: label || cur?.label || id, online: true, since: this.now() });
  }

  /** Marks a camera offline (idempotent). */
  offline(id: string): void {
    const cur = this.#cameras.get(id);
    if (!cur || !cur.online) return;
    this.#set({ ...cur, online: false, since: this.now() });
  }

  /** The presence of a camera (offline since server start when never seen). */
  get(id: string): CameraPresence | undefined {
    return this.#cameras.get(id);
  }

  #set(p: CameraPresence) {
    this.#cameras.set(p.id, p);
    this.bus.publish("presence", { ...p });
  }
}
