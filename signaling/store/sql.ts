/**
 * What the store's queries need from an SQL engine: parameterized queries
 * (`$1`, `$2`, … in the text: PostgreSQL's form, rewritten for SQLite by its
 * driver) and transactions. The queries (devices.ts, users.ts, …) are written
 * once in the SQL both engines share; where the engines differ, a query asks
 * {@linkcode SqlDriver.dialect}.
 *
 * @example
 * ```ts
 * const n = await db.get<{ n: number }>("SELECT count(*) AS n FROM devices WHERE revoked_at IS NULL");
 * await db.transaction(async (tx) => {
 *   await tx.run("UPDATE devices SET label = $1 WHERE id = $2", ["Door", "door"]);
 * });
 * ```
 * @module
 */

/** A bound parameter: times are numbers (ms), ids and hashes strings. */
export type SqlValue = string | number | null;

/** Queries on a connection or inside a transaction. */
export interface SqlQueries {
  /** Every row. Integers (BIGINT included) come back as numbers. */
  all<T>(text: string, params?: SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(text: string, params?: SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(text: string, params?: SqlValue[]): Promise<number>;
}

/** An SQL engine behind the store. */
export interface SqlDriver extends SqlQueries {
  readonly dialect: "sqlite" | "postgres";
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back
   * when it throws. On SQLite the whole database is locked for writing
   * (`BEGIN IMMEDIATE`); on PostgreSQL rows are locked as the queries ask
   * (`FOR UPDATE`: see {@linkcode forUpdate}).
   */
  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in a transaction that holds the migration lock, so that
   * concurrent starters migrate one after another.
   */
  migrationTransaction<T>(
    fn: (tx: SqlQueries & { exec(script: string): Promise<void> }) => Promise<T>,
  ): Promise<T>;
  /** A value that changes when another connection committed (see `Store.changeMarker`). */
  changeMarker(): Promise<number>;
  close(): Promise<void>;
}

/** ` FOR UPDATE` where the engine locks rows (PostgreSQL); SQLite's transaction locks the database. */
export function forUpdate(db: { dialect: SqlDriver["dialect"] }): string {
  return db.dialect === "postgres" ? " FOR UPDATE" : "";
}
