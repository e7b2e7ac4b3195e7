/**
 * The recordings index (the {@linkcode RecordingStore} over SQL): one row per
 * complete, hash-checked segment file in `<data dir>/recordings/<camera>/`.
 * @module
 */
import type { SqlDriver } from "./sql.ts";
import type { RecordingRecord, RecordingStore, RecordingUsage } from "./store.ts";

type Row = {
  camera: string;
  segment: string;
  start_ms: number;
  end_ms: number;
  bytes: number;
  sha256: string;
  stored_at: number;
};

const COLS = "camera, segment, start_ms, end_ms, bytes, sha256, stored_at";

const fromRow = (r: Row): RecordingRecord => ({
  camera: r.camera,
  segment: r.segment,
  startMs: Number(r.start_ms),
  endMs: Number(r.end_ms),
  bytes: Number(r.bytes),
  sha256: r.sha256,
  storedAt: Number(r.stored_at),
});

/** The recording store over `db`. */
export function recordingStore(db: SqlDriver): RecordingStore {
  return {
    async add(r) {
      return await db.run(
        `INSERT INTO recordings (${COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (camera, segment) DO NOTHING`,
        [r.camera, r.segment, r.startMs, r.endMs, r.bytes, r.sha256, r.storedAt],
      ) === 1;
    },
    async find(camera, segment) {
      const row = await db.get<Row>(
        `SELECT ${COLS} FROM recordings WHERE camera = $1 AND segment = $2`,
        [camera, segment],
      );
      return row ? fromRow(row) : null;
    },
    async list(camera, fromMs, toMs) {
      const rows = await db.all<Row>(
        `SELECT ${COLS} FROM recordings WHERE camera = $1 AND start_ms < $2 AND end_ms > $3
         ORDER BY start_ms, segment`,
        [camera, toMs, fromMs],
      );
      return rows.map(fromRow);
    },
    async oldest(limit) {
      const rows = await db.all<Row>(
        `SELECT ${COLS} FROM recordings ORDER BY start_ms, camera, segment LIMIT $1`,
        [limit],
      );
      return rows.map(fromRow);
    },
    async totalBytes() {
      const row = await db.get<{ total: number | null }>(
        "SELECT SUM(bytes) AS total FROM recordings",
      );
      return Number(row?.total ?? 0);
    },
    async perCamera() {
      const rows = await db.all<
        { camera: string; segments: number; bytes: number; from_ms: number; to_ms: number }
      >(
        `SELECT camera, COUNT(*) AS segments, SUM(bytes) AS bytes, MIN(start_ms) AS from_ms,
           MAX(end_ms) AS to_ms FROM recordings GROUP BY camera ORDER BY camera`,
      );
      return rows.map((r): RecordingUsage => ({
        camera: r.camera,
        segments: Number(r.segments),
        bytes: Number(r.bytes),
        fromMs: Number(r.from_ms),
        toMs: Number(r.to_ms),
      }));
    },
    async remove(camera, segment) {
      return await db.run("DELETE FROM recordings WHERE camera = $1 AND segment = $2", [
        camera,
        segment,
      ]) === 1;
    },
  };
}
