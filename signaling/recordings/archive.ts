/**
 * The server's copy of the cameras' recordings: `<data dir>/recordings/<camera>/<segment>.mp4`
 * (files 0600, dirs 0700), indexed in the store, sealed at rest with the
 * footage key (sealed_segment.ts). An upload is sealed into
 * `recordings/.incoming/` as it streams in, while its size is capped and the
 * SHA-256 of its plaintext computed, checked (hash, fMP4 structure), synced,
 * and only then renamed into place and indexed: a segment is never listed before it is complete, and a crash leaves
 * at most a temp file, removed at the next start. Retention deletes the oldest
 * first, by age and by total size.
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { RecordingRecord, Store } from "../store/store.ts";
import { checkFragmentedMp4 } from "./mp4_check.ts";
import {
  type FootageKey,
  openSegment,
  SealedWriter,
  type SegmentReader,
} from "./sealed_segment.ts";

/** Segment ids as the publisher makes them: `seg-<run stamp>-<index>`. */
export const SEGMENT_ID = /^seg-[0-9]{8}T[0-9]{9}Z-[0-9]{5,8}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** A segment may not claim to be longer than this. */
const MAX_SEGMENT_MS = 2 * 3600_000;
/** Clock skew tolerated for a segment's end in the future. */
const MAX_SKEW_MS = 5 * 60_000;

/** What an upload claims about itself (the camera comes from the certificate). */
export interface UploadClaim {
  camera: string;
  segment: string;
  sha256: string;
  startMs: number;
  endMs: number;
}

/** Outcome of {@linkcode RecordingArchive.ingest}. */
export type IngestResult =
  | { ok: true; status: 200 | 201; record: RecordingRecord }
  | { ok: false; status: number; code: string; message: string };

/** Limits of the archive. */
export interface ArchiveLimits {
  maxSegmentBytes: number;
  retentionMs: number;
  maxTotalBytes: number;
}

const refuse = (status: number, code: string, message: string): IngestResult => ({
  ok: false,
  status,
  code,
  message,
});

/** Checks a claim before any byte is read; null if fine. */
export function checkClaim(c: UploadClaim, nowMs: number): IngestResult | null {
  if (!SEGMENT_ID.test(c.segment)) {
    return refuse(400, "bad_segment_id", "a segment id is seg-<YYYYMMDDTHHMMSSmmmZ>-<index>");
  }
  if (!HEX64.test(c.sha256)) {
    return refuse(400, "bad_hash", "x-vigil-sha256 must be 64 lowercase hex digits");
  }
  if (!Number.isFinite(c.startMs) || !Number.isFinite(c.endMs) || c.endMs <= c.startMs) {
    return refuse(400, "bad_span", "x-vigil-start and x-vigil-end must be ISO times, start < end");
  }
  if (c.endMs - c.startMs > MAX_SEGMENT_MS) {
    return refuse(400, "bad_span", "a segment may span at most 2 h");
  }
  if (c.endMs > nowMs + MAX_SKEW_MS) {
    return refuse(400, "bad_span", "the segment ends in the future (check the camera's clock)");
  }
  return null;
}

/** The recordings on disk and in the store. */
export class RecordingArchive {
  readonly dir: string;
  readonly #store: Store;
  readonly #limits: ArchiveLimits;
  readonly #key: FootageKey;
  readonly #inFlight = new Set<string>();
  #sweeping: Promise<number> = Promise.resolve(0);

  private constructor(dir: string, store: Store, limits: ArchiveLimits, key: FootageKey) {
    this.dir = dir;
    this.#store = store;
    this.#limits = limits;
    this.#key = key;
  }

  /**
   * Opens (creates) `<dataDir>/recordings` and recovers from a crash: temp
   * files are removed; with the data dir's own store (not a cluster's shared
   * one, whose files may be on another node) so are files without a row, and
   * rows without a file.
   */
  static async open(dataDir: string, store: Store, limits: ArchiveLimits, key: FootageKey) {
    const dir = join(dataDir, "recordings");
    await Deno.mkdir(join(dir, ".incoming"), { recursive: true, mode: 0o700 });
    const a = new RecordingArchive(dir, store, limits, key);
    for await (const e of Deno.readDir(join(dir, ".incoming"))) {
      await Deno.remove(join(dir, ".incoming", e.name), { recursive: true }).catch(() => {});
    }
    if (store.kind === "sqlite") await a.#reconcile();
    return a;
  }

  /** Path of a stored segment (sealed: read it with {@linkcode RecordingArchive.open}). */
  path(camera: string, segment: string): string {
    return join(this.dir, camera, `${segment}.mp4`);
  }

  /** A stored segment's plaintext, by range; throws Deno.errors.NotFound when it is gone. */
  open(camera: string, segment: string): Promise<SegmentReader> {
    return openSegment(this.path(camera, segment), this.#key, camera, segment);
  }

  async #reconcile(): Promise<void> {
    for await (const cam of Deno.readDir(this.dir)) {
      if (!cam.isDirectory || cam.name.startsWith(".")) continue;
      for await (const f of Deno.readDir(join(this.dir, cam.name))) {
        const segment = f.name.replace(/\.mp4$/, "");
        if (!(await this.#store.recordings.find(cam.name, segment))) {
          await Deno.remove(join(this.dir, cam.name, f.name)).catch(() => {});
        }
      }
    }
    for (;;) {
      let removed = 0;
      const rows = await this.#store.recordings.oldest(1_000_000);
      for (const r of rows) {
        try {
          await Deno.stat(this.path(r.camera, r.segment));
        } catch {
          await this.#store.recordings.remove(r.camera, r.segment);
          removed++;
        }
      }
      if (removed === 0 || rows.length < 1_000_000) break;
    }
  }

  /**
   * Stores one uploaded segment. `body` is read at most to the size limit;
   * the caller has authenticated the camera.
   */
  async ingest(claim: UploadClaim, body: ReadableStream<Uint8Array> | null): Promise<IngestResult> {
    const bad = checkClaim(claim, Date.now());
    if (bad) return bad;
    const key = `${claim.camera}/${claim.segment}`;
    const existing = await this.#store.recordings.find(claim.camera, claim.segment);
    if (existing) {
      await body?.cancel().catch(() => {});
      if (existing.sha256 === claim.sha256) return { ok: true, status: 200, record: existing };
      return refuse(409, "conflict", "a different segment is already stored under this id");
    }
    if (this.#inFlight.has(key)) {
      await body?.cancel().catch(() => {});
      return refuse(409, "in_progress", "this segment is being uploaded already");
    }
    if (!body) return refuse(400, "no_body", "the segment is missing");
    this.#inFlight.add(key);
    const temp = join(
      this.dir,
      ".incoming",
      `${claim.camera}.${claim.segment}.${crypto.randomUUID()}`,
    );
    let moved = false;
    try {
      const file = await Deno.open(temp, { read: true, write: true, createNew: true, mode: 0o600 });
      const hash = createHash("sha256");
      let bytes = 0;
      try {
        const sealed = await SealedWriter.start(file, this.#key, claim.camera, claim.segment);
        const reader = body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          bytes += value.length;
          if (bytes > this.#limits.maxSegmentBytes) {
            await reader.cancel().catch(() => {});
            return refuse(
              413,
              "too_large",
              `a segment may have at most ${this.#limits.maxSegmentBytes} bytes`,
            );
          }
          hash.update(value);
          await sealed.write(value);
        }
        await sealed.finish();
        const digest = hash.digest("hex");
        if (digest !== claim.sha256) {
          return refuse(
            422,
            "hash_mismatch",
            "the segment's SHA-256 does not match x-vigil-sha256",
          );
        }
        await file.sync();
      } finally {
        file.close();
      }
      // The structure, read back through the seal (what is checked is what is stored).
      const stored = await openSegment(temp, this.#key, claim.camera, claim.segment);
      try {
        const shape = await checkFragmentedMp4((o, n) => stored.readAt(o, n), stored.size);
        if (!shape.ok) return refuse(422, "not_mp4", `not a fragmented MP4: ${shape.reason}`);
      } finally {
        stored.close();
      }
      const camDir = join(this.dir, claim.camera);
      await Deno.mkdir(camDir, { recursive: true, mode: 0o700 });
      await Deno.rename(temp, this.path(claim.camera, claim.segment));
      moved = true;
      const record: RecordingRecord = {
        camera: claim.camera,
        segment: claim.segment,
        startMs: claim.startMs,
        endMs: claim.endMs,
        bytes,
        sha256: claim.sha256,
        storedAt: Date.now(),
      };
      await this.#store.recordings.add(record);
      return { ok: true, status: 201, record };
    } catch (err) {
      if (moved) await Deno.remove(this.path(claim.camera, claim.segment)).catch(() => {});
      // A client that went away mid-body is not a server error.
      return refuse(400, "incomplete", `the upload did not complete: ${(err as Error).message}`);
    } finally {
      this.#inFlight.delete(key);
      if (!moved) await Deno.remove(temp).catch(() => {});
    }
  }

  /** Applies retention (age, then total size), oldest first; returns how many were deleted. */
  sweep(nowMs = Date.now()): Promise<number> {
    this.#sweeping = this.#sweeping.then(async () => {
      let deleted = 0;
      let total = await this.#store.recordings.totalBytes();
      const cutoff = nowMs - this.#limits.retentionMs;
      for (;;) {
        const batch = await this.#store.recordings.oldest(200);
        let progressed = false;
        for (const r of batch) {
          if (r.endMs >= cutoff && total <= this.#limits.maxTotalBytes) return deleted;
          // The row goes first: a listed segment always has its file.
          if (await this.#store.recordings.remove(r.camera, r.segment)) {
            await Deno.remove(this.path(r.camera, r.segment)).catch(() => {});
            total -= r.bytes;
            deleted++;
            progressed = true;
          }
        }
        if (!progressed) return deleted;
      }
    }).catch((err) => {
      console.error(`recordings: retention sweep failed: ${(err as Error).message}`);
      return 0;
    });
    return this.#sweeping;
  }
}
