/**
 * Long-lived viewer responses (the presence stream, WHEP sessions) end when
 * the grant that opened them goes: the login family is revoked (logout,
 * refresh-token reuse, user:passwd), the user is removed, or the user's
 * camera scope changes (user:set). One place, fed by the events the server
 * already has (the auth routes, the store's change poll, cluster events), so
 * that a cluster bus can feed it too. Pure bookkeeping: no I/O.
 *
 * @example
 * ```ts
 * const grants = new LiveGrants();
 * const release = grants.hold({ family: sid, user: "alice", end: (why) => stream.close() });
 * grants.familyRevoked(sid, "logged out"); // ends it
 * ```
 * @module
 */
import { mayWatch } from "./scope.ts";

/** One open grant: a stream or session, and how to end it. */
export interface LiveGrant {
  /** The login family (`sid`) it was opened with. */
  family: string;
  user: string;
  /** The camera it shows; none: a view filtered by the whole scope (ends at any scope change). */
  camera?: string;
  end(reason: string): void;
}

/** Something else that holds grants of its own (ViewingSessions' WHEP sessions). */
export interface GrantHolder {
  familyRevoked(family: string, reason: string): void;
  userRemoved(user: string, reason: string): void;
  scopeChanged(user: string, cameras: readonly string[], reason: string): void;
}

/** The camera scope a token's `cams` still has under the user's current `cameras`. */
export function currentScope(tokenCams: readonly string[], userCams: readonly string[]): string[] {
  if (tokenCams.includes("*")) return [...userCams];
  return tokenCams.filter((c) => mayWatch(userCams, c));
}

/** The registry of open grants. */
export class LiveGrants {
  readonly #grants = new Set<LiveGrant>();
  readonly #holders = new Set<GrantHolder>();

  /** Registers an open grant; call the result when it ends by itself. */
  hold(grant: LiveGrant): () => void {
    this.#grants.add(grant);
    return () => this.#grants.delete(grant);
  }

  /** Adds a holder told of every event; returns its removal. */
  addHolder(holder: GrantHolder): () => void {
    this.#holders.add(holder);
    return () => this.#holders.delete(holder);
  }

  /** How many grants are open (tests, metrics). */
  get size(): number {
    return this.#grants.size;
  }

  /** A login family was revoked. */
  familyRevoked(family: string, reason = "session revoked"): void {
    this.#endWhere((g) => g.family === family, reason);
    for (const h of this.#holders) h.familyRevoked(family, reason);
  }

  /** A user was removed. */
  userRemoved(user: string, reason = "account removed"): void {
    this.#endWhere((g) => g.user === user, reason);
    for (const h of this.#holders) h.userRemoved(user, reason);
  }

  /** A user's camera scope is now `cameras`: what it no longer covers ends. */
  scopeChanged(user: string, cameras: readonly string[], reason = "camera access changed"): void {
    this.#endWhere(
      (g) => g.user === user && (g.camera === undefined || !mayWatch(cameras, g.camera)),
      reason,
    );
    for (const h of this.#holders) h.scopeChanged(user, cameras, reason);
  }

  #endWhere(pred: (g: LiveGrant) => boolean, reason: string) {
    for (const g of [...this.#grants]) {
      if (!pred(g)) continue;
      this.#grants.delete(g);
      try {
        g.end(reason);
      } catch (err) {
        console.error(`live grants: ending a grant failed: ${(err as Error).message}`);
      }
    }
  }
}
