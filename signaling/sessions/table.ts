/**
 * The table of live viewing sessions: who watches which camera, with
 * per-camera and per-viewer limits. Pure bookkeeping, driven only by
 * {@linkcode ViewingSessions} (viewing.ts).
 * @module
 */
import type { SessionState } from "../bus/topics.ts";
import { type IceCredentials, newEntityTag } from "./ice_patch.ts";

/** One viewer's session with one camera. */
export interface WhepSession {
  id: string;
  camera: string;
  viewer: string;
  /** The login (refresh-token family) that opened it: logout ends it. */
  family: string;
  /** The viewer's address when it opened the session. */
  ip: string;
  createdAt: number;
  /** The current ICE session's entity-tag (WHEP PATCH preconditions); new after each ICE restart. */
  etag: string;
  /** The viewer's ICE credentials now: from its offer, then from each ICE restart. */
  credentials: IceCredentials | null;
  /** ICE restarts done. */
  iceRestarts: number;
  /** An ICE restart is being relayed (one at a time). */
  restarting: boolean;
  /** Candidate types of the selected pair, once the publisher reported ICE/DTLS connected. */
  pair: SessionState["pair"] | null;
}

/** Why a new session cannot be admitted. */
export type AdmitRefusal = "camera_full" | "viewer_full";

/** What {@linkcode SessionTable.admit} needs. */
export interface AdmitRequest {
  camera: string;
  viewer: string;
  family?: string;
  ip?: string;
  /** This camera's limit, when lower than the table's (the publisher's maxViewers). */
  cameraLimit?: number;
}

/** How many sessions a camera and a viewer have open (a type: it travels as JSON). */
export type SessionCounts = { camera: number; viewer: number };

/** The session table. */
export class SessionTable {
  #byId = new Map<string, WhepSession>();

  constructor(private readonly limits: { perCamera: number; perViewer: number }) {}

  /**
   * Reserves a session slot within this table's limits, or says why not. In
   * a cluster the slot is reserved first and the other nodes are asked after
   * ({@linkcode SessionTable.overLimit}): two nodes admitting at once then each
   * see the other's reservation in at least one direction, so together they
   * never pass a limit (at worst both refuse the last slot).
   */
  admit(r: AdmitRequest, now = Date.now()): WhepSession | AdmitRefusal {
    const { perCamera, perViewer } = this.counts(r.camera, r.viewer);
    if (perCamera >= this.#cameraLimit(r.cameraLimit)) return "camera_full";
    if (perViewer >= this.limits.perViewer) return "viewer_full";
    return this.#insert(r, now);
  }

  /**
   * Whether an admitted session, counted with the sessions other nodes hold
   * (`elsewhere`, asked after it was reserved), is past a limit. Pure.
   */
  overLimit(
    s: WhepSession,
    elsewhere: SessionCounts,
    cameraLimit?: number,
  ): AdmitRefusal | null {
    const { perCamera, perViewer } = this.counts(s.camera, s.viewer);
    if (perCamera + elsewhere.camera > this.#cameraLimit(cameraLimit)) return "camera_full";
    if (perViewer + elsewhere.viewer > this.limits.perViewer) return "viewer_full";
    return null;
  }

  #cameraLimit(cameraLimit: number | undefined): number {
    return Math.min(this.limits.perCamera, cameraLimit ?? Infinity);
  }

  /** This table's sessions of `camera` and of `viewer`. */
  counts(camera: string, viewer: string): { perCamera: number; perViewer: number } {
    let perCamera = 0;
    let perViewer = 0;
    for (const s of this.#byId.values()) {
      if (s.camera === camera) perCamera++;
      if (s.viewer === viewer) perViewer++;
    }
    return { perCamera, perViewer };
  }

  #insert(r: AdmitRequest, now: number): WhepSession {
    const s: WhepSession = {
      id: crypto.randomUUID(),
      camera: r.camera,
      viewer: r.viewer,
      family: r.family ?? "",
      ip: r.ip ?? "",
      createdAt: now,
      etag: newEntityTag(),
      credentials: null,
      iceRestarts: 0,
      restarting: false,
      pair: null,
    };
    this.#byId.set(s.id, s);
    return s;
  }

  get(id: string): WhepSession | undefined {
    return this.#byId.get(id);
  }

  /** Removes a session; returns it if it existed. */
  remove(id: string): WhepSession | undefined {
    const s = this.#byId.get(id);
    this.#byId.delete(id);
    return s;
  }

  /** Sessions opened by a login family (logout, reuse, user removal end them). */
  ofFamily(family: string): WhepSession[] {
    return [...this.#byId.values()].filter((s) => s.family === family);
  }

  /** Every session (server shutdown). */
  all(): WhepSession[] {
    return [...this.#byId.values()];
  }

  get size(): number {
    return this.#byId.size;
  }
}
