/**
 * The PostgreSQL store's URL, `postgres://USER@HOST[:PORT]/DATABASE`: parsed
 * and checked without I/O (settings validate it; `postgres.ts` connects).
 * A password in it is refused: it would show in `ps`, shell history and logs.
 * The only query parameter is libpq's `sslmode`, and only the modes that
 * never fall back to clear text and never skip the host name check silently
 * (`disable`, `require`, `verify-full`; see `postgres_tls.ts`).
 * @module
 */

/** Where a PostgreSQL store is: parsed from `postgres://user@host[:port]/database`. */
export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  /** `sslmode=` of the URL, if given. */
  sslmode?: UrlSslmode;
}

/** The `sslmode` values a store URL may carry. */
export type UrlSslmode = "disable" | "require" | "verify-full";

const REFUSED_SSLMODES: Record<string, string> = {
  allow: "falls back to clear text",
  prefer: "falls back to clear text",
  "verify-ca": "skips the host name check",
};

function sslmodeOf(u: URL): UrlSslmode | undefined {
  const keys = [...u.searchParams.keys()];
  const other = keys.find((k) => k !== "sslmode");
  if (other !== undefined) {
    throw new TypeError(
      `the store URL takes no query parameter but sslmode (not "${other.slice(0, 40)}"): ` +
        "TLS files are --store-ca-file, --store-cert-file, --store-key-file",
    );
  }
  if (keys.length === 0) return undefined;
  if (keys.length > 1) throw new TypeError("the store URL gives sslmode more than once");
  const mode = u.searchParams.get("sslmode")!;
  if (mode === "disable" || mode === "require" || mode === "verify-full") return mode;
  const why = REFUSED_SSLMODES[mode];
  throw new TypeError(
    why
      ? `sslmode=${mode} ${why}: use sslmode=verify-full (or --store-ca-file)`
      : "sslmode is disable, require or verify-full",
  );
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
  if (u.hash) throw new TypeError("the store URL takes no fragment");
  const sslmode = sslmodeOf(u);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username),
    database,
    ...(sslmode ? { sslmode } : {}),
  };
}
