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
 * (config/cluster_grants.ts), so the environment cannot redirect it.
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

/** PostgreSQL as a {@linkcode SqlDriver}. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = "postgres" as const;
  #sql: Sql;
  #q: ReturnType<typeof queries>;

  constructor(sql: Sql) {
    this.#sql = sql;
    this.#q = queries(sql);
  }

  all<T>(text: string, params?: SqlValue[]): Promise<T[]> {
    return this.#q.all<T>(text, params);
  }
  get<T>(text: string, params?: SqlValue[]): Promise<T | undefined> {
    return this.#q.get<T>(text, params);
  }
  run(text: string, params?: SqlValue[]): Promise<number> {
    return this.#q.run(text, params);
  }

  async transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    return await this.#sql.begin((tx) => fn(queries(tx))) as T;
  }

  async migrationTransaction<T>(
    fn: (tx: SqlQueries & { exec(script: string): Promise<void> }) => Promise<T>,
  ): Promise<T> {
    return await this.#sql.begin(async (tx) => {
      await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      return await fn(queries(tx));
    }) as T;
  }

  /**
   * The cluster event counter: every change another node must act on
   * appends an event (store/cluster.ts), so this changes exactly then.
   */
  async changeMarker(): Promise<number> {
    return (await this.get<{ n: number }>("SELECT n FROM cluster_seq WHERE id = 1"))?.n ?? 0;
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 2 });
  }
}

/** Options of {@linkcode openPostgresDriver}. */
export interface PostgresOptions {
  /** `postgres://user@host[:port]/database`, without a password. */
  url: string;
  password: string;
  /** Pool size (default 10). */
  max?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutS?: number;
}

/** Connects (a pool: connections open on demand) and migrates. */
export async function openPostgresDriver(o: PostgresOptions): Promise<PostgresDriver> {
  const t = parsePostgresUrl(o.url);
  const sql = postgres({
    host: t.host,
    port: t.port,
    database: t.database,
    username: t.user,
    password: o.password,
    max: o.max ?? 10,
    connect_timeout: o.connectTimeoutS ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    types: { bigint: bigintAsNumber },
    connection: { application_name: "vigil" },
  }) as unknown as Sql;
  const driver = new PostgresDriver(sql);
  try {
    await migrate(driver);
  } catch (err) {
    await driver.close().catch(() => {});
    throw new Error(
      `PostgreSQL store ${t.user}@${t.host}:${t.port}/${t.database}: ${(err as Error).message}`,
    );
  }
  return driver;
}

/** The {@linkcode Store} in PostgreSQL. */
export async function openPostgresStore(o: PostgresOptions): Promise<Store> {
  return sqlStore(await openPostgresDriver(o));
}
