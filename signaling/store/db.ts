/**
 * The embedded store: node:sqlite in the data directory, WAL mode, with
 * versioned schema migrations applied in order inside one transaction each.
 *
 * @example
 * ```ts
 * const db = openDatabase("./data/vigil.db");
 * db.prepare("SELECT count(*) AS n FROM devices").get();
 * ```
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";

export type Database = DatabaseSync;

/** Opens (creating if needed) the database and brings its schema up to date. */
export function openDatabase(path: string): Database {
  const db = new DatabaseSync(path);
  // The store holds password and token hashes: owner only.
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      Deno.chmodSync(f, 0o600);
    } catch {
      // -wal/-shm appear later; the data dir itself is 0700
    }
  }
  // WAL lets operator commands write while the server reads; busy_timeout
  // makes concurrent writers wait instead of failing with "database is locked".
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
  migrate(db);
  return db;
}

/** Applies every migration newer than the recorded schema version. */
export function migrate(db: Database): number {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
  );
  const row = db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as {
    v: number | null;
  };
  let current = row.v ?? 0;
  for (const [index, sql] of MIGRATIONS.entries()) {
    const version = index + 1;
    if (version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      // Another process may have migrated while we waited for the lock.
      const again = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(version);
      if (!again) {
        db.exec(sql);
        db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
          version,
          Date.now(),
        );
      }
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw new Error(`schema migration ${version} failed: ${(err as Error).message}`);
    }
    current = version;
  }
  return current;
}

/** Runs `fn` in an immediate transaction, rolling back on error. */
export function transaction<T>(db: Database, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}

/**
 * A cheap change detector: `PRAGMA data_version` changes whenever another
 * connection (an operator command in another process) commits.
 */
export function dataVersion(db: Database): number {
  return (db.prepare("PRAGMA data_version").get() as { data_version: number }).data_version;
}
