/**
 * The embedded store: node:sqlite in the data directory (WAL mode), as a
 * {@linkcode SqlDriver} and the {@linkcode Store} over it. node:sqlite is
 * synchronous; its calls run one at a time through a queue per database
 * file, shared by every connection to it in this process, so that a
 * transaction's statements, though awaited, never interleave with another
 * caller's: a second connection's `BEGIN IMMEDIATE` would otherwise wait
 * (busy_timeout, blocking the thread) for a transaction that can only finish
 * on this same thread. Other processes are kept apart by SQLite's locks.
 *
 * @example
 * ```ts
 * const store = await openSqliteStore("./data/vigil.db");
 * console.log(await store.devices.list());
 * await store.close();
 * ```
 * @module
 */
import { resolve } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { migrate } from "./migrate.ts";
import type { SqlDriver, SqlQueries, SqlValue } from "./sql.ts";
import { sqlStore } from "./sql_store.ts";
import type { Store } from "./store.ts";

/** `$1` → `?1`: SQLite's numbered parameter (the same value may be used twice). */
function sqliteText(text: string): string {
  return text.replace(/\$(\d+)/g, "?$1");
}

/** The queue of one database file: the tail of its calls. */
type Queue = { tail: Promise<unknown>; users: number };
const queues = new Map<string, Queue>();

/** node:sqlite as a {@linkcode SqlDriver}. */
export class SqliteDriver implements SqlDriver {
  readonly dialect = "sqlite" as const;
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #key: string;
  #queue: Queue;
  /** The queries of a caller that holds the queue. */
  #held: SqlQueries & { exec(script: string): Promise<void> };

  /** `path` names the queue: the file (`:memory:` databases each have their own). */
  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#key = path === ":memory:" ? crypto.randomUUID() : resolve(path);
    let q = queues.get(this.#key);
    if (!q) queues.set(this.#key, q = { tail: Promise.resolve(), users: 0 });
    q.users++;
    this.#queue = q;
    const stmt = (text: string) => {
      let s = this.#statements.get(text);
      if (!s) this.#statements.set(text, s = this.#db.prepare(sqliteText(text)));
      return s;
    };
    this.#held = {
      all: <T>(text: string, params: SqlValue[] = []) =>
        Promise.resolve(stmt(text).all(...params) as T[]),
      get: <T>(text: string, params: SqlValue[] = []) =>
        Promise.resolve(stmt(text).get(...params) as T | undefined),
      run: (text: string, params: SqlValue[] = []) =>
        Promise.resolve(Number(stmt(text).run(...params).changes)),
      exec: (script: string) => Promise.resolve(this.#db.exec(script)),
    };
  }

  /** Runs `fn` when every earlier call has finished. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.tail.then(fn);
    this.#queue.tail = result.catch(() => {});
    return result;
  }

  all<T>(text: string, params?: SqlValue[]): Promise<T[]> {
    return this.#exclusive(() => this.#held.all<T>(text, params));
  }

  get<T>(text: string, params?: SqlValue[]): Promise<T | undefined> {
    return this.#exclusive(() => this.#held.get<T>(text, params));
  }

  run(text: string, params?: SqlValue[]): Promise<number> {
    return this.#exclusive(() => this.#held.run(text, params));
  }

  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      // IMMEDIATE: take the write lock now (busy_timeout waits for other processes).
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.#held);
        this.#db.exec("COMMIT");
        return result;
      } catch (err) {
        this.#db.exec("ROLLBACK");
        throw err;
      }
    });
  }

  migrationTransaction<T>(
    fn: (tx: SqlQueries & { exec(script: string): Promise<void> }) => Promise<T>,
  ): Promise<T> {
    return this.transaction(() => fn(this.#held));
  }

  /** `PRAGMA data_version`: changes whenever another connection commits. */
  changeMarker(): Promise<number> {
    return this.#exclusive(() =>
      Promise.resolve(
        (this.#db.prepare("PRAGMA data_version").get() as { data_version: number }).data_version,
      )
    );
  }

  close(): Promise<void> {
    return this.#exclusive(() => {
      this.#statements.clear();
      this.#db.close();
      if (--this.#queue.users === 0) queues.delete(this.#key);
      return Promise.resolve();
    });
  }
}

/** Opens (creating if needed) the SQLite database at `path` and migrates it. */
export async function openSqliteDriver(path: string): Promise<SqliteDriver> {
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
  const driver = new SqliteDriver(db, path);
  try {
    await migrate(driver);
  } catch (err) {
    await driver.close();
    throw err;
  }
  return driver;
}

/** The {@linkcode Store} in the SQLite database at `path` (`:memory:` for a throwaway one). */
export async function openSqliteStore(path: string): Promise<Store> {
  return sqlStore(await openSqliteDriver(path));
}
