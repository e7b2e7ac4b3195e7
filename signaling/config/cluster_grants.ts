/**
 * The `deno run` permissions a signaling node needs for its cluster clients,
 * measured under Deno 2.9.6 (tests/helpers/cluster/client_permissions_test.ts
 * runs each client in a child with exactly these flags, and with less):
 *
 * - NATS (`@nats-io/transport-node` 3.4): network to each server, nothing else;
 *   with TLS or a password, read access to the files holding the CA and password.
 * - PostgreSQL (`postgres` 3.4): network to each server, read access to the
 *   password file (and its TLS files: CA, client certificate and key; no more, not even the system
 *   roots), and `--ignore-env` for the `PG*` variables it reads at
 *   `postgres()` even when every option is given: ignored, not allowed, so the
 *   environment can never redirect or downgrade the connection (e.g. `PGSSL`).
 *
 * @example
 * ```ts
 * const flags = grantFlags(mergeGrants(
 *   natsGrants({ servers: [{ host: "10.0.0.5", port: 4222 }], files: ["/etc/vigil/nats.pass"] }),
 *   postgresGrants({ servers: [{ host: "10.0.0.6", port: 5432 }], files: ["/etc/vigil/pg.pass"] }),
 * ));
 * // ["--allow-net=10.0.0.5:4222,10.0.0.6:5432", "--allow-read=/etc/vigil/nats.pass,/etc/vigil/pg.pass", "--ignore-env=PGAPPNAME,…"]
 * ```
 * @module
 */

/** A server a client connects to. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Permissions as lists, to be merged with the server's own before they become flags. */
export interface Grants {
  net: string[];
  read: string[];
  ignoreEnv: string[];
}

/**
 * Every environment variable `postgres` 3.4.9 may read in `parseOptions`
 * (src/index.js): the connection defaults, `PG` + each option name, and the
 * OS-user fallbacks (unused: vigil always passes the user).
 */
export const POSTGRES_JS_ENV: readonly string[] = [
  "PGAPPNAME",
  "PGBACKOFF",
  "PGCONNECT_TIMEOUT",
  "PGDATABASE",
  "PGDEBUG",
  "PGFETCH_TYPES",
  "PGHOST",
  "PGIDLE_TIMEOUT",
  "PGKEEP_ALIVE",
  "PGMAX",
  "PGMAX_LIFETIME",
  "PGMAX_PIPELINE",
  "PGPASSWORD",
  "PGPORT",
  "PGPREPARE",
  "PGPUBLICATIONS",
  "PGSSL",
  "PGSSLNEGOTIATION",
  "PGTARGETSESSIONATTRS",
  "PGTARGET_SESSION_ATTRS",
  "PGUSER",
  "PGUSERNAME",
  "LOGNAME",
  "USER",
  "USERNAME",
];

/** What a cluster client connects to and which files (password, CA) it reads. */
export interface ClientTarget {
  servers: Endpoint[];
  files?: string[];
}

function endpoint(e: Endpoint): string {
  if (!Number.isInteger(e.port) || e.port <= 0 || e.port > 65535) {
    throw new RangeError(`bad port ${e.port} for ${e.host}`);
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(e.host) || e.host.includes(",")) {
    throw new RangeError(`bad host "${e.host}"`);
  }
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

function files(t: ClientTarget): string[] {
  for (const f of t.files ?? []) {
    if (!f.startsWith("/") || f.includes(",")) throw new RangeError(`bad file path "${f}"`);
  }
  return [...(t.files ?? [])];
}

/** Grants of the NATS client: net to each server, read of its files. */
export function natsGrants(t: ClientTarget): Grants {
  return { net: t.servers.map(endpoint), read: files(t), ignoreEnv: [] };
}

/** Grants of the PostgreSQL client: net, read of its files, and the ignored `PG*` variables. */
export function postgresGrants(t: ClientTarget): Grants {
  return {
    net: t.servers.map(endpoint),
    read: files(t),
    ignoreEnv: [...POSTGRES_JS_ENV],
  };
}

/** Union of grants, each list deduplicated in first-seen order. */
export function mergeGrants(...gs: Grants[]): Grants {
  const u = (k: keyof Grants) => [...new Set(gs.flatMap((g) => g[k]))];
  return { net: u("net"), read: u("read"), ignoreEnv: u("ignoreEnv") };
}

/** The flags for grants; a list that is empty gives no flag (so nothing is granted). */
export function grantFlags(g: Grants): string[] {
  const flag = (name: string, xs: string[]) => xs.length ? [`--${name}=${xs.join(",")}`] : [];
  return [
    ...flag("allow-net", g.net),
    ...flag("allow-read", g.read),
    ...flag("ignore-env", g.ignoreEnv),
  ];
}
