/**
 * Viewing sessions, from admission to their one end: the WHEP twin of
 * devices/enrollment.ts. The only module that admits a session, relays its
 * offer to the camera's publisher (bus `camera.<id>.offer`, with the answer
 * timeout), trickles its candidates (`camera.<id>.control`) and ends it, for
 * any reason: the viewer leaves (DELETE), logs out, its login family is
 * revoked or its account removed, the publisher closes it or goes offline
 * (`session.<sid>.closed`), the answer does not come in time, the publisher
 * refuses it. Every admitted session whose offer reached a publisher ends
 * exactly once, with one `session.end` audit event; an offer that reached no
 * one (the camera has no channel) leaves no trace but the 503.
 *
 * Refusals are {@linkcode SessionError}s with their HTTP status: the WHEP
 * routes (http/routes/whep.ts) only translate HTTP.
 *
 * @example
 * ```ts
 * viewing.checkAccess(claims, "door", ip); // before reading the body
 * const { session, answer } = await viewing.open(claims, "door", offerSdp, ip);
 * viewing.leave(viewing.find(claims, "door", session.id));
 * ```
 * @module
 */
import type { AuditLog } from "../audit/audit_log.ts";
import { mayWatch } from "../auth/scope.ts";
import type { AccessClaims } from "../auth/tokens.ts";
import { BusError, type EventBus } from "../bus/bus.ts";
import { type OfferReply, topics } from "../bus/topics.ts";
import type { Presence } from "../devices/presence.ts";
import type { Database } from "../store/db.ts";
import { deviceExists, isDeviceActive } from "../store/devices.ts";
import { DEVICE_ID } from "../store/ids.ts";
import { familiesRevokedSince } from "../store/refresh_tokens.ts";
import { checkOffer } from "./sdp.ts";
import { SessionTable, type WhepSession } from "./table.ts";

/** A refusal with its HTTP status, a stable code and a readable message. */
export class SessionError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 429 | 503 | 504,
    readonly code: string,
    message: string,
    /** Seconds for `Retry-After`, when trying again later can help. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/** Who ended a session (the `by` of its `session.end` event). */
export type EndedBy = "viewer" | "server" | "publisher";

/** What {@linkcode ViewingSessions} works with. */
export interface ViewingOptions {
  bus: EventBus;
  presence: Presence;
  audit: AuditLog;
  db: Database;
  /** Server-wide limits; a publisher's own `maxViewers` may lower the per-camera one. */
  limits: { perCamera: number; perViewer: number };
  answerTimeoutMs: number;
}

/** Lines of a WHEP trickle PATCH (application/trickle-ice-sdpfrag, RFC 8840) relayed to the publisher. */
const TRICKLE_LINE = /^a=(candidate:|end-of-candidates|ice-ufrag:|ice-pwd:)/;

/** The owner of every viewing session of this server. */
export class ViewingSessions {
  readonly #o: ViewingOptions;
  readonly #table: SessionTable;
  /** Per session: its `session.<sid>.closed` subscription. */
  readonly #closedSubs = new Map<string, () => void>();
  #familiesSince = Date.now();

  constructor(o: ViewingOptions) {
    this.#o = o;
    this.#table = new SessionTable(o.limits);
  }

  /** Live sessions (admitted, not ended). */
  get size(): number {
    return this.#table.size;
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
  checkAccess(viewer: AccessClaims, camera: string, ip: string): void {
    if (!mayWatch(viewer.cams, camera)) {
      this.#o.audit.log("session.refused", {
        camera,
        viewer: viewer.sub,
        ip,
        reason: "not permitted",
      });
      throw new SessionError(403, "forbidden", `you may not watch camera "${camera.slice(0, 64)}"`);
    }
    if (!DEVICE_ID.safeParse(camera).success || !deviceExists(this.#o.db, camera)) {
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
    this.checkAccess(viewer, camera, ip);
    const bad = checkOffer(sdp);
    if (bad) throw new SessionError(400, "bad_offer", bad);
    const offline = () =>
      new SessionError(503, "camera_offline", `camera "${camera}" is offline`, 5);
    if (!isDeviceActive(this.#o.db, camera)) throw offline();
    const refused = (reason: string, extra: Record<string, unknown> = {}) =>
      this.#o.audit.log("session.refused", { camera, viewer: viewer.sub, ip, reason, ...extra });

    const session = this.#table.admit({
      camera,
      viewer: viewer.sub,
      family: viewer.sid,
      cameraLimit: this.#o.presence.get(camera)?.maxViewers ?? undefined,
    });
    if (typeof session === "string") {
      refused(session);
      throw new SessionError(
        429,
        session,
        session === "camera_full"
          ? `camera "${camera}" has the most viewers it accepts`
          : "you have too many sessions open; close one first",
        10,
      );
    }
    this.#closedSubs.set(
      session.id,
      this.#o.bus.subscribe(topics.sessionClosed(session.id), (m) => {
        if (m.camera !== session.camera) return;
        this.#end(session.id, m.cause === "publisher" ? "publisher" : "server", m.reason, false);
      }),
    );

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
      if (!this.#table.get(session.id)) throw this.#endedMeanwhile(camera);
      refused("answer timeout", { session: session.id });
      this.#end(session.id, "server", "answer timeout", true);
      throw new SessionError(504, "answer_timeout", `camera "${camera}" did not answer in time`);
    }
    if (!this.#table.get(session.id)) throw this.#endedMeanwhile(camera);
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
    return { session, answer: reply.sdp };
  }

  /** The viewer's own live session (404 for anyone else's, or an ended one). */
  find(viewer: AccessClaims, camera: string, sessionId: string): WhepSession {
    const s = this.#table.get(sessionId);
    if (!s || s.camera !== camera || s.viewer !== viewer.sub) {
      throw new SessionError(404, "unknown_session", "no such session");
    }
    return s;
  }

  /** Relays the ICE lines of a trickle-ice sdpfrag to the session's publisher. */
  trickle(session: WhepSession, frag: string): void {
    if (!this.#table.get(session.id)) {
      throw new SessionError(404, "unknown_session", "no such session");
    }
    const lines = frag.split(/\r?\n/).filter((l) => TRICKLE_LINE.test(l));
    if (lines.some((l) => l.length > 512)) {
      throw new SessionError(400, "bad_sdpfrag", "a candidate line is too long");
    }
    if (lines.length === 0) return;
    this.#o.bus.publish(topics.control(session.camera), {
      type: "candidate",
      sessionId: session.id,
      candidate: lines.join("\r\n"),
    });
  }

  /** The viewer ends its session (WHEP DELETE). */
  leave(session: WhepSession): void {
    if (!this.#end(session.id, "viewer", "viewer left", true)) {
      throw new SessionError(404, "unknown_session", "no such session");
    }
  }

  /** Ends every session of a login family (logout, refresh-token reuse, revocation); returns how many. */
  endFamily(family: string, reason: string): number {
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
  endRevokedFamilies(): void {
    const now = Date.now();
    for (const f of familiesRevokedSince(this.#o.db, this.#familiesSince - 1000)) {
      this.endFamily(f, "session revoked");
    }
    this.#familiesSince = now;
  }

  /** Stops listening (server shutdown); the sessions' media is the publishers' affair. */
  close(): void {
    for (const off of this.#closedSubs.values()) off();
    this.#closedSubs.clear();
  }

  #endedMeanwhile(camera: string): SessionError {
    return new SessionError(503, "camera_offline", `camera "${camera}" went offline`);
  }

  /** The one place a session ends. Returns false when it had ended already. */
  #end(id: string, by: EndedBy, reason: string, tellPublisher: boolean): boolean {
    const s = this.#forget(id);
    if (!s) return false;
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
    this.#closedSubs.get(id)?.();
    this.#closedSubs.delete(id);
    return this.#table.remove(id);
  }
}
