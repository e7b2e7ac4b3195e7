/**
 * Viewing sessions, from admission to their one end: the WHEP twin of
 * devices/enrollment.ts. The only module that admits a session, relays its
 * offer to the camera's publisher (bus `camera.<id>.offer`, with the answer
 * timeout), trickles its candidates (`camera.<id>.control`), relays its ICE
 * restarts (`camera.<id>.restart`, a new ETag each), learns when its media
 * connected (`session.<sid>.state`) and ends it, for any reason: the viewer
 * leaves (DELETE), logs out, its login family is revoked or its account
 * removed, the publisher closes it or goes offline (`session.<sid>.closed`),
 * the answer does not come in time, the publisher refuses it, its ICE/DTLS
 * never connects (`connectTimeoutMs`: a player that gave up does not keep
 * its slot). Every admitted session whose offer reached a publisher ends
 * exactly once, with one `session.end` audit event; an offer that reached no
 * one (the camera has no channel) leaves no trace but the 409.
 *
 * Refusals are {@linkcode SessionError}s with their HTTP status: the WHEP
 * routes (http/routes/whep.ts) only translate HTTP.
 *
 * @example
 * ```ts
 * await viewing.checkAccess(claims, "door", ip); // before reading the body
 * const { session, answer } = await viewing.open(claims, "door", offerSdp, ip);
 * await viewing.patch(session, sdpfrag, parseIfMatch('"*"')!); // trickle or ICE restart
 * viewing.leave(viewing.find(claims, "door", session.id));
 * ```
 * @module
 */
import type { AuditLog } from "../audit/audit_log.ts";
import { mayWatch } from "../auth/scope.ts";
import type { LiveGrants } from "../auth/live_grants.ts";
import type { AccessClaims } from "../auth/tokens.ts";
import { BusError, type EventBus } from "../bus/bus.ts";
import { type OfferReply, type RestartReply, type SessionState, topics } from "../bus/topics.ts";
import type { Presence } from "../devices/presence.ts";
import { DEVICE_ID } from "../store/ids.ts";
import type { Store } from "../store/store.ts";
import { type IfMatch, newEntityTag, offerCredentials, planPatch } from "./ice_patch.ts";
import { checkOffer } from "./sdp.ts";
import { type AdmitRefusal, type SessionCounts, SessionTable, type WhepSession } from "./table.ts";

/** A refusal with its HTTP status, a stable code and a readable message. */
export class SessionError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 412 | 422 | 428 | 429 | 502 | 503 | 504,
    readonly code: string,
    message: string,
    /** Seconds for `Retry-After`, when trying again later can help. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** Who ended a session (the `by` of its `session.end` event). */
export type EndedBy = "viewer" | "server" | "publisher" | "admin";

/** What {@linkcode ViewingSessions} works with. */
export interface ViewingOptions {
  bus: EventBus;
  presence: Presence;
  audit: AuditLog;
  store: Store;
  /** Server-wide limits; a publisher's own `maxViewers` may lower the per-camera one. */
  limits: { perCamera: number; perViewer: number };
  /** Also the wait for a publisher's reply to an ICE restart. */
  answerTimeoutMs: number;
  /** A session whose ICE/DTLS has not connected this long after its answer is ended. */
  connectTimeoutMs: number;
  /** The live-grant registry: its events end sessions, revoked families are reported to it. */
  grants?: LiveGrants;
  /**
   * A cluster's other nodes' sessions of a camera and a viewer, so the limits
   * count the whole cluster (cluster/node_console.ts); none in one process.
   */
  elsewhere?: (camera: string, viewer: string) => Promise<SessionCounts>;
}

/** What a PATCH did: 204 for trickle, 200 with the publisher's sdpfrag and the new ETag for a restart. */
export type PatchResult =
  | { kind: "trickled" }
  | { kind: "restarted"; sdpfrag: string; etag: string };

/** Seconds a player should wait before offering again for an offline camera. */
const OFFLINE_RETRY_S = 5;

/** The owner of every viewing session of this server. */
export class ViewingSessions {
  #familyListeners = new Set<(family: string) => void>();
  #sessionListeners = new Set<(sessionId: string) => void>();

  /** Calls `fn` with the id of each session as it ends (for anything kept per session). */
  onSessionEnded(fn: (sessionId: string) => void): () => void {
    this.#sessionListeners.add(fn);
    return () => this.#sessionListeners.delete(fn);
  }
  readonly #o: ViewingOptions;
  readonly #table: SessionTable;
  /** Per session: its `session.<sid>.closed` and `.state` subscriptions. */
  readonly #subs = new Map<string, (() => void)[]>();
  /** Per session not connected yet: the timer that ends it (connectTimeoutMs). */
  readonly #reapers = new Map<string, ReturnType<typeof setTimeout>>();
  #familiesSince = Date.now();
  /** Why sessions ended in the last seconds (the reply to their offer may still be on its way). */
  readonly #recentlyEnded = new Map<string, { by: EndedBy; reason: string; at: number }>();

  constructor(o: ViewingOptions) {
    this.#o = o;
    this.#table = new SessionTable(o.limits);
    o.grants?.addHolder({
      familyRevoked: (family, reason) => this.endFamily(family, reason),
      userRemoved: (user, reason) => this.endOutsideScope(user, [], reason),
      scopeChanged: (user, cameras, reason) => this.endOutsideScope(user, cameras, reason),
    });
  }

  /** Ends a user's sessions of cameras `cameras` no longer covers (user:set, user:remove). */
  endOutsideScope(user: string, cameras: readonly string[], reason: string): number {
    let n = 0;
    for (const s of this.#table.all()) {
      if (s.viewer !== user || mayWatch(cameras, s.camera)) continue;
      if (this.#end(s.id, "server", reason, true)) n++;
    }
    return n;
  }

  /** Live sessions (admitted, not ended). */
  get size(): number {
    return this.#table.size;
  }

  /** Every live session on this node, oldest first (the console). */
  list(): WhepSession[] {
    return this.#table.all().sort((a, b) => a.createdAt - b.createdAt);
  }

  /** An admin ends a session (`DELETE /api/admin/sessions/<id>`); false when it had ended. */
  endByAdmin(id: string, admin: string): boolean {
    return this.#end(id, "admin", `ended by admin ${admin}`, true);
  }

  /** A live session by id. */
  get(id: string): WhepSession | undefined {
    return this.#table.get(id);
  }

  /**
   * Scope first, then existence: outside the viewer's scope an unknown and a
   * forbidden camera look alike (403); inside it an unknown one is 404.
   * Call before reading the offer.
   */
  async checkAccess(viewer: AccessClaims, camera: string, ip: string): Promise<void> {
    if (!mayWatch(viewer.cams, camera)) {
      this.#o.audit.log("session.refused", {
        camera,
        viewer: viewer.sub,
        ip,
        reason: "not permitted",
      });
      throw new SessionError(403, "forbidden", `you may not watch camera "${camera.slice(0, 64)}"`);
    }
    if (!DEVICE_ID.safeParse(camera).success || !(await this.#o.store.devices.exists(camera))) {
      throw new SessionError(404, "unknown_camera", `no camera "${camera.slice(0, 64)}"`);
    }
  }

  /**
   * Admits a session and relays the offer; resolves with the publisher's
   * answer. Nothing reaches the publisher unless the viewer may watch, the
   * offer is a recvonly video offer and the limits allow it.
   */
  async open(
    viewer: AccessClaims,
    camera: string,
    sdp: string,
    ip: string,
  ): Promise<{ session: WhepSession; answer: string }> {
    await this.checkAccess(viewer, camera, ip);
    const bad = checkOffer(sdp);
    if (bad) throw new SessionError(400, "bad_offer", bad);
    // draft-ietf-wish-whep-03 section 4.2 (session management): no live publishing → 409 + Retry-After.
    const offline = () =>
      new SessionError(409, "camera_offline", `camera "${camera}" is offline`, OFFLINE_RETRY_S);
    if (!(await this.#o.store.devices.isActive(camera))) throw offline();
    const refused = (reason: string, extra: Record<string, unknown> = {}) =>
      this.#o.audit.log("session.refused", { camera, viewer: viewer.sub, ip, reason, ...extra });

    const full = (why: AdmitRefusal) => {
      refused(why);
      return new SessionError(
        429,
        why,
        why === "camera_full"
          ? `camera "${camera}" has the most viewers it accepts`
          : "you have too many sessions open; close one first",
        10,
      );
    };
    const cameraLimit = this.#o.presence.get(camera)?.maxViewers ?? undefined;
    const session = this.#table.admit({
      camera,
      viewer: viewer.sub,
      family: viewer.sid,
      ip,
      cameraLimit,
    });
    if (typeof session === "string") throw full(session);
    if (this.#o.elsewhere) {
      // Reserved first, then the other nodes asked: see SessionTable.admit.
      const other = await this.#o.elsewhere(camera, viewer.sub);
      if (!this.#table.get(session.id)) throw this.#endedMeanwhile(camera, session.id);
      const over = this.#table.overLimit(session, other, cameraLimit);
      if (over) {
        this.#table.remove(session.id);
        throw full(over);
      }
    }
    session.credentials = offerCredentials(sdp);
    this.#subs.set(session.id, [
      this.#o.bus.subscribe(topics.sessionClosed(session.id), (m) => {
        if (m.camera !== session.camera) return;
        this.#end(session.id, m.cause === "publisher" ? "publisher" : "server", m.reason, false);
      }),
      this.#o.bus.subscribe(topics.sessionState(session.id), (m) => {
        if (m.camera === session.camera) this.#connected(session, m);
      }),
    ]);

    let reply: OfferReply;
    try {
      reply = await this.#o.bus.request(
        topics.offer(camera),
        { sessionId: session.id, sdp, viewer: viewer.sub },
        this.#o.answerTimeoutMs,
      );
    } catch (err) {
      if (!(err instanceof BusError) || err.code === "no_responder") {
        // The camera has no channel: the offer reached no one.
        this.#forget(session.id);
        throw offline();
      }
      if (!this.#table.get(session.id)) throw this.#endedMeanwhile(camera, session.id);
      refused("answer timeout", { session: session.id });
      this.#end(session.id, "server", "answer timeout", true);
      throw new SessionError(504, "answer_timeout", `camera "${camera}" did not answer in time`);
    }
    if (!this.#table.get(session.id)) throw this.#endedMeanwhile(camera, session.id);
    if ("status" in reply) {
      refused(reply.message, { session: session.id, status: reply.status });
      this.#end(session.id, "publisher", reply.message, false);
      const code = reply.status === 400
        ? "bad_offer"
        : reply.status === 429
        ? "camera_full"
        : "publisher_busy";
      throw new SessionError(
        reply.status,
        code,
        reply.message,
        reply.status === 400 ? undefined : 5,
      );
    }
    this.#o.audit.log("session.start", { session: session.id, camera, viewer: viewer.sub, ip });
    if (!session.pair) this.#armReaper(session);
    return { session, answer: reply.sdp };
  }

  /** The viewer's own live session (404 for anyone else's, or an ended one). */
  find(viewer: AccessClaims, camera: string, sessionId: string): WhepSession {
    const s = this.#table.get(sessionId);
    if (!s || s.camera !== camera || s.viewer !== viewer.sub) throw unknownSession();
    return s;
  }

  /**
   * A WHEP PATCH (an `application/trickle-ice-sdpfrag`, RFC 8840) with its
   * `If-Match`: trickled candidates are relayed to the publisher; new ICE
   * credentials are an ICE restart, relayed as a request whose reply is the
   * publisher's new credentials and candidates, under a new ETag. The rules
   * (412, 428, 400, 422) are ice_patch.ts's. A restart that fails leaves the
   * session and its ICE session as they were (RFC 9725 section 4.3.3).
   */
  async patch(session: WhepSession, frag: string, ifMatch: IfMatch): Promise<PatchResult> {
    if (this.#table.get(session.id) !== session) throw unknownSession();
    const plan = planPatch(frag, ifMatch, {
      etag: session.etag,
      credentials: session.credentials,
      restarts: session.iceRestarts,
    });
    if ("status" in plan) throw new SessionError(plan.status, plan.code, plan.message);
    if (plan.kind === "trickle") {
      if (plan.lines.length > 0) {
        this.#o.bus.publish(topics.control(session.camera), {
          type: "candidate",
          sessionId: session.id,
          candidate: plan.lines.join("\r\n"),
        });
      }
      return { kind: "trickled" };
    }
    if (session.restarting) {
      throw new SessionError(
        409,
        "restart_in_progress",
        "an ICE restart of this session is under way",
      );
    }
    session.restarting = true;
    let reply: RestartReply;
    try {
      reply = await this.#o.bus.request(
        topics.restart(session.camera),
        { sessionId: session.id, sdpfrag: plan.frag },
        this.#o.answerTimeoutMs,
      );
    } catch (err) {
      if (err instanceof BusError && err.code === "timeout") {
        throw new SessionError(
          504,
          "restart_timeout",
          `camera "${session.camera}" did not answer the ICE restart in time`,
        );
      }
      throw new SessionError(
        409,
        "camera_offline",
        `camera "${session.camera}" is offline`,
        OFFLINE_RETRY_S,
      );
    } finally {
      session.restarting = false;
    }
    if (this.#table.get(session.id) !== session) throw unknownSession();
    if ("status" in reply) {
      if (reply.status === 404) {
        // The publisher has no such peer any more: the session is over.
        this.#end(session.id, "publisher", "unknown to the publisher", false);
        throw unknownSession();
      }
      throw new SessionError(
        reply.status,
        reply.status === 400 ? "bad_sdpfrag" : "restart_refused",
        reply.message,
      );
    }
    session.etag = newEntityTag();
    session.credentials = plan.credentials;
    session.iceRestarts++;
    this.#o.audit.log("session.ice_restart", {
      session: session.id,
      camera: session.camera,
      viewer: session.viewer,
      restarts: session.iceRestarts,
    });
    // A session restarted before it ever connected gets its full time again.
    if (!session.pair) this.#armReaper(session);
    return { kind: "restarted", sdpfrag: reply.sdpfrag, etag: session.etag };
  }

  /** The viewer ends its session (WHEP DELETE). */
  leave(session: WhepSession): void {
    if (!this.#end(session.id, "viewer", "viewer left", true)) throw unknownSession();
  }

  /**
   * Calls `fn` with each login family whose grants end (logout, reuse,
   * revocation on any node): other long-lived grants of the family (the
   * presence stream) end on it too. Returns an unsubscribe.
   */
  onFamilyEnded(fn: (family: string) => void): () => void {
    this.#familyListeners.add(fn);
    return () => this.#familyListeners.delete(fn);
  }

  /** Ends every session of a login family (logout, refresh-token reuse, revocation); returns how many. */
  endFamily(family: string, reason: string): number {
    for (const fn of this.#familyListeners) {
      try {
        fn(family);
      } catch (err) {
        console.error(`viewing: family listener failed: ${(err as Error).message}`);
      }
    }
    let n = 0;
    for (const s of this.#table.ofFamily(family)) {
      if (this.#end(s.id, "server", reason, true)) n++;
    }
    return n;
  }

  /**
   * Ends the sessions of login families revoked since the last call, by
   * operator commands in other processes too (user:remove, user:passwd).
   * Call when the store changed.
   */
  async endRevokedFamilies(): Promise<void> {
    const now = Date.now();
    for (
      const f of await this.#o.store.refreshTokens.familiesRevokedSince(this.#familiesSince - 1000)
    ) {
      // Through the registry, so that the family's streams end as well.
      if (this.#o.grants) this.#o.grants.familyRevoked(f, "session revoked");
      else this.endFamily(f, "session revoked");
    }
    this.#familiesSince = now;
  }

  /** This node's sessions of `camera` and of `viewer` (for other nodes' limits). */
  counts(camera: string, viewer: string): SessionCounts {
    const c = this.#table.counts(camera, viewer);
    return { camera: c.perCamera, viewer: c.perViewer };
  }

  /** Stops listening (server shutdown); the sessions' media is the publishers' affair. */
  close(): void {
    for (const offs of this.#subs.values()) for (const off of offs) off();
    this.#subs.clear();
    for (const t of this.#reapers.values()) clearTimeout(t);
    this.#reapers.clear();
  }

  /**
   * The session ended while its offer was out: say what happened. The
   * publisher closing it (its peer failed right after answering) is a 502
   * with the publisher's reason (RFC 9110 §15.6.3); only a channel that went
   * away is "offline".
   */
  #endedMeanwhile(camera: string, id: string): SessionError {
    const ended = this.#recentlyEnded.get(id);
    this.#recentlyEnded.delete(id);
    if (ended && ended.by === "publisher") {
      return new SessionError(
        502,
        "publisher_closed",
        `camera "${camera}" closed the session right after answering (${ended.reason})`,
        OFFLINE_RETRY_S,
      );
    }
    if (ended && ended.by !== "server") {
      return new SessionError(409, "session_ended", `the session ended: ${ended.reason}`);
    }
    return new SessionError(
      409,
      "camera_offline",
      `camera "${camera}" went offline`,
      OFFLINE_RETRY_S,
    );
  }

  /** Ends the session unless its media connects within `connectTimeoutMs`. */
  #armReaper(session: WhepSession): void {
    clearTimeout(this.#reapers.get(session.id));
    this.#reapers.set(
      session.id,
      setTimeout(() => {
        this.#reapers.delete(session.id);
        if (!session.pair) this.#end(session.id, "server", "ICE/DTLS never connected", true);
      }, this.#o.connectTimeoutMs),
    );
  }

  /** The publisher reports ICE/DTLS connected (first, or again after a restart). */
  #connected(session: WhepSession, m: SessionState): void {
    if (this.#table.get(session.id) !== session) return;
    clearTimeout(this.#reapers.get(session.id));
    this.#reapers.delete(session.id);
    session.pair = m.pair;
    this.#o.audit.log("session.connected", {
      session: session.id,
      camera: session.camera,
      viewer: session.viewer,
      local: m.pair.local,
      remote: m.pair.remote,
    });
  }

  /** The one place a session ends. Returns false when it had ended already. */
  #end(id: string, by: EndedBy, reason: string, tellPublisher: boolean): boolean {
    const s = this.#forget(id);
    if (!s) return false;
    // Kept briefly: an offer still waiting for its reply reports why (#endedMeanwhile).
    const now = Date.now();
    for (const [k, v] of this.#recentlyEnded) {
      if (v.at > now - 10_000 && this.#recentlyEnded.size < 10_000) break;
      this.#recentlyEnded.delete(k);
    }
    this.#recentlyEnded.set(id, { by, reason, at: now });
    if (tellPublisher) {
      this.#o.bus.publish(topics.control(s.camera), { type: "close", sessionId: id, reason });
    }
    this.#o.audit.log("session.end", {
      session: id,
      camera: s.camera,
      viewer: s.viewer,
      by,
      reason,
    });
    return true;
  }

  #forget(id: string): WhepSession | undefined {
    if (this.#table.get(id)) {
      for (const fn of this.#sessionListeners) {
        try {
          fn(id);
        } catch (err) {
          console.error(`viewing: session listener failed: ${(err as Error).message}`);
        }
      }
    }
    for (const off of this.#subs.get(id) ?? []) off();
    this.#subs.delete(id);
    clearTimeout(this.#reapers.get(id));
    this.#reapers.delete(id);
    return this.#table.remove(id);
  }
}

function unknownSession(): SessionError {
  return new SessionError(404, "unknown_session", "no such session");
}
