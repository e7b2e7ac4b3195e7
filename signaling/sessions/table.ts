/**
 * Live WHEP sessions: who watches which camera, with per-camera and
 * per-viewer limits. Pure bookkeeping; the routes and the device hub drive it.
 * @module
 */

/** One viewer's session with one camera. */
export interface WhepSession {
  id: string;
  camera: string;
  viewer: string;
  /** The login (refresh-token family) that opened it: logout ends it. */
  family: string;
  createdAt: number;
}

/** Why a new session cannot be admitted. */
export type AdmitRefusal = "camera_full" | "viewer_full";

/** The session table. */
export class WhepSessions {
  #byId = new Map<string, WhepSession>();

  constructor(private readonly limits: { perCamera: number; perViewer: number }) {}

  /** Reserves a session slot, or says why not. */
  admit(camera: string, viewer: string, family = "", now = Date.now()): WhepSession | AdmitRefusal {
    let perCamera = 0;
    let perViewer = 0;
    for (const s of this.#byId.values()) {
      if (s.camera === camera) perCamera++;
      if (s.viewer === viewer) perViewer++;
    }
    if (perCamera >= this.limits.perCamera) return "camera_full";
    if (perViewer >= this.limits.perViewer) return "viewer_full";
    const s = { id: crypto.randomUUID(), camera, viewer, family, createdAt: now };
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

  /** Removes and returns every session of a camera (publisher gone). */
  removeCamera(camera: string): WhepSession[] {
    const gone = [...this.#byId.values()].filter((s) => s.camera === camera);
    for (const s of gone) this.#byId.delete(s.id);
    return gone;
  }

  /** Sessions opened by a login family (logout, reuse, user removal end them). */
  ofFamily(family: string): WhepSession[] {
    return [...this.#byId.values()].filter((s) => s.family === family);
  }

  get size(): number {
    return this.#byId.size;
  }
}
