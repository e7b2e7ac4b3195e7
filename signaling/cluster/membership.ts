/**
 * Cluster membership, pure: the nodes heard from recently. A node is a member
 * while its last announcement (bus `cluster.node`, cluster/members.ts) is
 * younger than `expireMs`; this node itself always is. Time is passed in: no
 * timers, no clock.
 *
 * @example
 * ```ts
 * const m = new Membership("a", 15_000);
 * m.heard("b", 1_000); // true: new
 * m.nodes(2_000); // ["a", "b"]
 * m.expire(20_000); // ["b"]
 * ```
 * @module
 */

/** The set of live nodes, by the time each was last heard. */
export class Membership {
  readonly #lastHeard = new Map<string, number>();

  constructor(readonly self: string, readonly expireMs: number) {}

  /** Records an announcement of `node` at `now`; true when it was not a member. */
  heard(node: string, now: number): boolean {
    if (node === this.self) return false;
    const last = this.#lastHeard.get(node);
    this.#lastHeard.set(node, Math.max(now, last ?? now));
    return last === undefined || now - last >= this.expireMs;
  }

  /** Forgets `node` at once: it said it is leaving (a clean stop). */
  left(node: string): void {
    this.#lastHeard.delete(node);
  }

  /** Forgets the nodes not heard within `expireMs` before `now`; returns them. */
  expire(now: number): string[] {
    const gone: string[] = [];
    for (const [node, at] of this.#lastHeard) {
      if (now - at >= this.expireMs) {
        this.#lastHeard.delete(node);
        gone.push(node);
      }
    }
    return gone;
  }

  /** The live nodes at `now`, this node first, the others sorted. */
  nodes(now: number): string[] {
    const others = [...this.#lastHeard].filter(([, at]) => now - at < this.expireMs)
      .map(([node]) => node).sort();
    return [this.self, ...others];
  }
}
