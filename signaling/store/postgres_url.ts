/**
 * The PostgreSQL store's URL, `postgres://USER@HOST[:PORT]/DATABASE`: parsed
 * and checked without I/O (settings validate it; `postgres.ts` connects).
 * A password in it is refused: it would show in `ps`, shell history and logs.
 * @module
 */

/** Where a PostgreSQL store is: parsed from `postgres://user@host[:port]/database`. */
export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** Parses a store URL; throws a message naming what is wrong (never echoing a password). */
export function parsePostgresUrl(text: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new TypeError("the store URL is postgres://USER@HOST[:PORT]/DATABASE");
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new TypeError("the store URL is postgres://USER@HOST[:PORT]/DATABASE");
  }
  if (u.password) {
    throw new TypeError(
      "the store URL must not hold a password: use --store-password-file or VIGIL_STORE_PASSWORD",
    );
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!u.username || !u.hostname || !database || database.includes("/")) {
    throw new TypeError(
      "the store URL is postgres://USER@HOST[:PORT]/DATABASE (user and database required)",
    );
  }
  if (u.search || u.hash) throw new TypeError("the store URL takes no query or fragment");
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    database,
  };
}
