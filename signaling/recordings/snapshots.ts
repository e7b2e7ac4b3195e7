/**
 * The latest snapshot (a JPEG of a keyframe, made by the publisher) of each
 * camera, in memory: small, replaced every few seconds, worthless after a
 * restart. A camera may send one at most every `minIntervalMs`.
 * @module
 */

/** JPEG files start with SOI and a marker (ITU T.81 B.1.1.2). */
export function looksLikeJpeg(b: Uint8Array): boolean {
  return b.length > 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff &&
    b[b.length - 2] === 0xff && b[b.length - 1] === 0xd9;
}

/** Snapshots by camera. */
export class Snapshots {
  readonly #byCamera = new Map<string, { jpeg: Uint8Array; at: number }>();
  constructor(readonly minIntervalMs = 2000) {}

  /** The latest one of a camera. */
  get(camera: string): { jpeg: Uint8Array; at: number } | undefined {
    return this.#byCamera.get(camera);
  }

  /** Seconds to wait before the camera may send the next one (0: now). */
  waitSeconds(camera: string, now = Date.now()): number {
    const last = this.#byCamera.get(camera)?.at ?? 0;
    return Math.max(0, Math.ceil((last + this.minIntervalMs - now) / 1000));
  }

  /** Stores a snapshot. */
  put(camera: string, jpeg: Uint8Array, now = Date.now()): void {
    this.#byCamera.set(camera, { jpeg, at: now });
  }

  /** Forgets a camera (revoked). */
  delete(camera: string): void {
    this.#byCamera.delete(camera);
  }
}
