/**
 * The shared store of a cluster: PostgreSQL through `postgres` (porsager,
 * 3.4), as a {@linkcode SqlDriver} and the {@linkcode Store} over it: the same
 * migrations and queries as SQLite, so the same guarantees (one-time tokens
 * claimed by `UPDATE … RETURNING`, refresh rotation under `FOR UPDATE`),
 * now across nodes. Migrations take a transaction-scoped advisory lock, so
 * nodes starting together migrate one after another.
 *
 * The password never comes from the URL (refused) or argv: from a file
 * (`--store-password-file`) or the environment (`VIGIL_STORE_PASSWORD`).
 * The client's own `PG*` variables are ignored by the process's flags
 * (config/cluster_grants.ts), so the environment cannot redirect it or turn
 * TLS off. TLS (`tls`, see postgres_tls.ts) never falls back to clear text.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore({ url: "postgres://vigil@db:5432/vigil", password });
 * await store.ping();
 * await store.close();
 * ```
 * @module
 */
import postgres from "postgres";
import { migrate } from "./migrate.ts";
import { describeConnectError, postgresSslOption, type StoreTlsMaterial } from "./postgres_tls.ts";
import { parsePostgresUrl } from "./postgres_url.ts";
import type { SqlDriver, SqlQueries, SqlValue } from "./sql.ts";
import { sqlStore } from "./sql_store.ts";
import type { Store } from "./store.ts";

/** int8 as a JS number: vigil's ms timestamps and counters stay far below 2^53. */
const bigintAsNumber = {
  to: 20,
  from: [20],
  serialize: (x: number) => String(x),
  parse: (x: string) => Number(x),
};

type Sql = postgres.Sql<{ bigint: number }>;
type Tx = postgres.TransactionSql<{ bigint: number }>;

function queries(sql: Sql | Tx): SqlQueries & { exec(script: string): Promise<void> } {
  const q = (text: string, params: SqlValue[] = []) =>
    sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
  return {
    all: async <T>(text: string, params?: SqlValue[]) => [...await q(text, params)] as T[],
    get: async <T>(text: string, params?: SqlValue[]) => (await q(text, params))[0] as T,
    run: async (text: string, params?: SqlValue[]) => (await q(text, params)).count,
    exec: async (script: string) => {
      await sql.unsafe(script).simple();
    },
  };
}

/** A lock id for migrations (pg_advisory_xact_lock): "vigil" in ASCII. */
const MIGRATION_LOCK = 0x766967696c;

/**
 * PostgreSQL as a {@linkcode SqlDriver}. Every call has a deadline: after a
 * server restart a pooled connection can stay half-open under Deno's
 * node:net (no close event, so a query sent on it never returns). A call
 * past its deadline fails with a clear error and replaces the whole pool,
 * so the next call opens fresh connections: the node recovers by itself.
 */
export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  #make: () => Sql;
  #sql: Sql;
  #deadlineMs: number;
  #closed = false;

  constructor(make: () => Sql, deadlineMs = 5_000) {
    this.#make = make;
    this.#sql = make();
    this.#deadlineMs = deadlineMs;
  }

  /** Runs `fn` on the current pool within the deadline; past it, resets the pool. */
  async #call<T>(fn: (sql: Sql) => Promise<T>, deadlineMs = this.#deadlineMs): Promise<T> {
    if (this.#closed) throw new Error("the PostgreSQL store is closed");
    const sql = this.#sql;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        fn(sql),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.#reset(sql);
            reject(
              new Error(
                `PostgreSQL did not answer within ${deadlineMs} ms (connections reset)`,
              ),
            );
          }, deadlineMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #reset(stale: Sql): void {
    if (this.#sql !== stale || this.#closed) return;
    this.#sql = this.#make();
    stale.end({ timeout: 0 }).catch(() => {});
  }

  all<T>(text: string, params?: SqlValue[]): Promise<T[]> {
    return this.#call((sql) => queries(sql).all<T>(text, params));
  }
  get<T>(text: string, params?: SqlValue[]): Promise<T | undefined> {
    return this.#call((sql) => queries(sql).get<T>(text, params));
  }
  run(text: string, params?: SqlValue[]): Promise<number> {
    return this.#call((sql) => queries(sql).run(text, params));
  }

  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return this.#call(async (sql) => await sql.begin((tx) => fn(queries(tx))) as T);
  }

  migrationTransaction<T>(
    fn: (tx: SqlQueries & { exec(script: string): Promise<void> }) => Promise<T>,
  ): Promise<T> {
    return this.#call(async (sql) =>
      await sql.begin(async (tx) => {
        await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        return await fn(queries(tx));
      }) as T, 60_000);
  }

  /**
   * The cluster event counter: every change another node must act on
   * appends an event (store/cluster.ts), so this changes exactly then.
   */
  async changeMarker(): Promise<number> {
    return (await this.get<{ n: number }>("SELECT n FROM cluster_seq WHERE id = 1"))?.n ?? 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#sql.end({ timeout: 2 });
  }
}

/** Options of {@linkcode openPostgresDriver}. */
export interface PostgresOptions {
  /** `postgres://user@host[:port]/database`, without a password. */
  url: string;
  password: string;
  /** TLS of the link (default: the URL's sslmode, else none); must agree with the URL's sslmode. */
  tls?: StoreTlsMaterial;
  /** Pool size (default 10). */
  max?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutS?: number;
  /** Longest wait for any call before the pool is replaced (default 5000 ms; migrations: 60 s). */
  deadlineMs?: number;
}

/** Connects (a pool: connections open on demand) and migrates. */
export async function openPostgresDriver(o: PostgresOptions): Promise<PostgresDriver> {
  const t = parsePostgresUrl(o.url);
  const tls = o.tls ?? { mode: t.sslmode ?? "disable" };
  if (t.sslmode && t.sslmode !== tls.mode) {
    throw new TypeError(`the store URL's sslmode=${t.sslmode} contradicts its TLS (${tls.mode})`);
  }
  const ssl = postgresSslOption(tls, t.host);
  const make = () =>
    postgres({
      host: t.host,
      port: t.port,
      database: t.database,
      username: t.user,
      password: o.password,
      ssl,
      max: o.max ?? 10,
      connect_timeout: o.connectTimeoutS ?? 5,
      idle_timeout: 60,
      onnotice: () => {},
      types: { bigint: bigintAsNumber },
      connection: { application_name: "vigil" },
    }) as unknown as Sql;
  const driver = new PostgresDriver(make, o.deadlineMs);
  try {
    await migrate(driver);
  } catch (err) {
    await driver.close().catch(() => {});
    throw new Error(
      `PostgreSQL store ${t.user}@${t.host}:${t.port}/${t.database}: ${
        describeConnectError(err as Error, tls, t.host)
      }`,
    );
  }
  return driver;
}

/** The {@linkcode Store} in PostgreSQL. */
export async function openPostgresStore(o: PostgresOptions): Promise<Store> {
  return sqlStore(await openPostgresDriver(o));
}
