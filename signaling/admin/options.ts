/**
 * The operator commands' command line, parsed the same way by their launcher
 * (`scripts/admin.ts`, to compute the flags) and by the commands themselves
 * (`main.ts`). `--config FILE` reads the server's own settings file, so that
 * the commands find its data dir, enrollment token lifetime, port and names.
 *
 * @example
 * ```ts
 * const o = parseAdminArgs(["device:list", "--data-dir=/srv/vigil"], null);
 * adminFlags(o); // ["--allow-read=/srv/vigil", "--allow-write=/srv/vigil", "--allow-sys=hostname"]
 * ```
 * @module
 */
import { resolve } from "node:path";
import { parseCli, UsageError } from "../../lib/cli.ts";
import { parseSettings, readConfigText } from "../../lib/settings.ts";
import { parseDuration } from "../../lib/duration.ts";
import { SERVE_SPEC } from "../config/options.ts";
import type { ServerSettings } from "../config/settings.ts";
import { postgresGrants } from "../config/cluster_grants.ts";
import { parsePostgresUrl } from "../store/postgres_url.ts";
import { resolveStoreTls, storeTlsFiles, type StoreTlsSettings } from "../store/postgres_tls.ts";

/** `--help` of the operator commands. */
export const ADMIN_USAGE = `
vigil operator commands. All accept --data-dir DIR (default ./data), --config FILE (the server's
settings file: its data dir, token lifetime, port and names), --json and --print-flags.

  deno task device:add <id> [--label TEXT] [--ttl DUR] [--server-url URL] [--qr]
      register a camera; prints a one-time enrollment token and the command to run on the Pi
      (--ttl default: the server's enrollTokenTtlMs, 15m; --qr: the command as a QR code too)
  deno task device:list                     devices and their certificate state
  deno task device:revoke <id>              revoke a device's certificates; live connections close within 1 s
  deno task user:add <name> --cameras id1,id2|'*' [--recordings id1,id2|'*'|none] [--admin] [--password-stdin]
      --cameras: live viewing; --recordings: watching and downloading recordings (default none)
      --admin: the account may use the console (/admin) and /api/admin (the first admin comes from here)
  deno task user:set <name> [--cameras id1,id2|'*'] [--recordings id1,id2|'*'|none] [--admin|--no-admin]
      change a user's grants; a running server ends streams and sessions outside the new scope
  deno task user:list
  deno task user:remove <name>
  deno task user:passwd <name> [--password-stdin]
  deno task keys:rotate                     new JWT signing key; running servers sign with it within 1 s
  deno task pki:init [--san NAME]...        create the CA, server certificate (done by serve on first start)

A cluster's commands work on its shared store: --store postgres://USER@HOST[:PORT]/DB with
--store-password-file FILE (or VIGIL_STORE_PASSWORD) and its TLS (--store-ca-file FILE,
--store-tls MODE, --store-cert-file FILE --store-key-file FILE), or the same in the nodes'
--config file;
keys:rotate also needs --kek-file FILE. Every node acts on the change within 1 s.

From any machine, through a running server's admin API (an account with the admin role):
  --remote https://HOST:PORT   send the command to that server instead (nothing is read locally)
  --login NAME                 sign in as NAME: password at the terminal, or from
  --login-password-file FILE   (one line; for scripts) — the login ends when the command does
  --token-file FILE            or use an access token (POST /auth/login's accessToken, ≤ 5 min)
  --ca-file FILE               trust this CA (the server's data-dir/pki/ca.pem) besides the system's
  Every command above but keys:rotate and pki:init works remotely, and these only do:
  deno task session:list                     who watches which camera, from where, direct or relay
  deno task session:end <id>                 end a live session (the viewer's stream stops)
  deno task audit:list [--kind K] [--device ID] [--user NAME] [--limit N]   newest first
`;

const OPTIONS = {
  "data-dir": { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
  label: { type: "string" },
  ttl: { type: "string" },
  "server-url": { type: "string" },
  cameras: { type: "string" },
  recordings: { type: "string" },
  admin: { type: "boolean" },
  "no-admin": { type: "boolean" },
  "password-stdin": { type: "boolean" },
  san: { type: "string", multiple: true },
  "print-flags": { type: "boolean" },
  store: { type: "string" },
  "store-password-file": { type: "string" },
  "store-ca-file": { type: "string" },
  "store-tls": { type: "string" },
  "store-cert-file": { type: "string" },
  "store-key-file": { type: "string" },
  "kek-file": { type: "string" },
  qr: { type: "boolean" },
  remote: { type: "string" },
  "ca-file": { type: "string" },
  login: { type: "string" },
  "login-password-file": { type: "string" },
  "token-file": { type: "string" },
  kind: { type: "string" },
  device: { type: "string" },
  user: { type: "string" },
  limit: { type: "string" },
} as const;

/** The commands that act on a running server only (its live sessions, its nodes' audit logs). */
export const REMOTE_ONLY = ["session:list", "session:end", "audit:list"];
/** The commands that need the server host's own files (keys, the CA). */
export const LOCAL_ONLY = ["keys:rotate", "pki:init"];

/**
 * `--remote`: the commands as requests to a running server's `/api/admin/…`
 * (Bearer access token with the admin role), from any machine.
 */
export interface RemoteOptions {
  /** The server's origin, `https://host:port`. */
  url: string;
  /** `host:port` of it: the one network grant. */
  hostPort: string;
  /** A CA certificate (PEM) to trust besides the system's: the server's own CA. */
  caFile: string | null;
  /** Log in as this account (password at the terminal or from `loginPasswordFile`). */
  login: string | null;
  loginPasswordFile: string | null;
  /** A file holding an access token (from `POST /auth/login` or a passkey sign-in). */
  tokenFile: string | null;
}

/** `audit:list`'s filters, as `GET /api/admin/audit` takes them. */
export interface AuditFilter {
  kind?: string;
  device?: string;
  user?: string;
  limit?: number;
}

/** The parsed command line of an operator command. */
export interface AdminOptions {
  /** `device:add`, `user:list`, …; "" when none was given (print the help). */
  command: string;
  positionals: string[];
  /** Absolute data dir: `--data-dir`, else the config file's, else ./data. */
  dataDir: string;
  /** The `--config` file (absolute), or null. */
  configFile: string | null;
  /** The server's settings (from `--config`, else the defaults). */
  server: ServerSettings;
  json: boolean;
  label: string | undefined;
  /** Lifetime of a new enrollment token (ms). */
  ttlMs: number;
  /** Whether `--ttl` was given (a remote server otherwise applies its own default). */
  ttlFlag: boolean;
  serverUrl: string | undefined;
  cameras: string | undefined;
  /** `--recordings` as given (user:add, user:set). */
  recordings: string | undefined;
  /** `--admin` true, `--no-admin` false, neither undefined. */
  admin: boolean | undefined;
  passwordStdin: boolean;
  /** Extra certificate names for `pki:init` (besides the config's). */
  san: string[];
  /** The cluster's store (flags over `--config`), or null: the data dir's SQLite. */
  store: string | null;
  storePasswordFile: string | null;
  /** The store link's TLS settings (flags over `--config`; files absolute). */
  storeTls: StoreTlsSettings["storeTls"];
  storeCaFile: string | null;
  storeCertFile: string | null;
  storeKeyFile: string | null;
  kekFile: string | null;
  /** `device:add --qr`: also print the enroll command as a QR code in the terminal. */
  qr: boolean;
  /** `--remote URL` and how to authenticate there, or null: work on the data dir or store. */
  remote: RemoteOptions | null;
  audit: AuditFilter;
}

/** Parses an operator command line and the server config file's text (null: none). Pure. */
export function parseAdminArgs(argv: string[], configText: string | null): AdminOptions {
  const [first, ...rest] = argv;
  const command = !first || first.startsWith("-") ? "" : first;
  const { values: v, positionals } = parseCli(command ? rest : argv, {
    name: command || "vigil",
    usage: ADMIN_USAGE,
    options: OPTIONS,
    positionals: true,
  });
  const { settings: server } = parseSettings(
    SERVE_SPEC,
    v.config !== undefined ? ["--config", v.config] : [],
    configText,
  );
  const store = v.store ?? server.store;
  if (store !== null) {
    try {
      parsePostgresUrl(store);
    } catch (err) {
      throw new UsageError(`--store: ${(err as Error).message}`);
    }
  }
  const storePasswordFile = v["store-password-file"] ?? server.storePasswordFile;
  const tls = storeTlsOf(v, server, store);
  const kekFile = v["kek-file"] ?? server.kekFile;
  return {
    command,
    positionals,
    dataDir: resolve(v["data-dir"] ?? server.dataDir),
    configFile: v.config !== undefined ? resolve(v.config) : null,
    server,
    json: v.json ?? false,
    label: v.label,
    ttlMs: v.ttl !== undefined ? parseDuration(v.ttl) : server.enrollTokenTtlMs,
    ttlFlag: v.ttl !== undefined,
    serverUrl: v["server-url"],
    cameras: v.cameras,
    recordings: v.recordings,
    admin: adminFlag(v.admin, v["no-admin"]),
    passwordStdin: v["password-stdin"] ?? false,
    san: v.san ?? [],
    store,
    storePasswordFile: storePasswordFile && resolve(storePasswordFile),
    ...tls,
    kekFile: kekFile && resolve(kekFile),
    qr: v.qr ?? false,
    remote: remoteOf(command, v),
    audit: auditFilterOf(v),
  };
}

/** `--remote` and its authentication, checked against the command. */
function remoteOf(command: string, v: Record<string, unknown>): RemoteOptions | null {
  const url = v.remote as string | undefined;
  const path = (flag: string) => {
    const f = v[flag] as string | undefined;
    return f ? resolve(f) : null;
  };
  const login = (v.login as string | undefined) ?? null;
  const tokenFile = path("token-file");
  if (url === undefined) {
    for (const flag of ["ca-file", "login", "login-password-file", "token-file"]) {
      if (v[flag] !== undefined) throw new UsageError(`--${flag} goes with --remote URL`);
    }
    if (REMOTE_ONLY.includes(command)) {
      throw new UsageError(
        `${command} asks a running server: add --remote https://HOST:PORT and --login NAME`,
      );
    }
    return null;
  }
  if (LOCAL_ONLY.includes(command)) {
    throw new UsageError(
      `${command} runs on the server host (it needs its key files), not --remote`,
    );
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--remote: "${url.slice(0, 100)}" is not a URL`);
  }
  if (u.protocol !== "https:" || u.username || u.password || u.search || u.hash) {
    throw new UsageError(
      "--remote is the server's https://HOST[:PORT], without a path or credentials",
    );
  }
  if (u.pathname !== "/") throw new UsageError("--remote is https://HOST[:PORT], without a path");
  if ((login === null) === (tokenFile === null)) {
    throw new UsageError("--remote needs one of --login NAME or --token-file FILE");
  }
  if (v["login-password-file"] !== undefined && login === null) {
    throw new UsageError("--login-password-file goes with --login NAME");
  }
  return {
    url: u.origin,
    hostPort: `${u.hostname}:${u.port || "443"}`,
    caFile: path("ca-file"),
    login,
    loginPasswordFile: path("login-password-file"),
    tokenFile,
  };
}

function auditFilterOf(v: Record<string, unknown>): AuditFilter {
  const f: AuditFilter = {};
  if (v.kind !== undefined) f.kind = v.kind as string;
  if (v.device !== undefined) f.device = v.device as string;
  if (v.user !== undefined) f.user = v.user as string;
  if (v.limit !== undefined) {
    const n = Number(v.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new UsageError("--limit is a whole number from 1 to 1000");
    }
    f.limit = n;
  }
  return f;
}

/** The TLS settings: flags over the config file's, checked like the server's; paths absolute. */
function storeTlsOf(
  v: Record<string, unknown>,
  server: ServerSettings,
  store: string | null,
): StoreTlsSettings {
  const mode = (v["store-tls"] as string | undefined) ?? server.storeTls;
  if (mode !== null && mode !== "require" && mode !== "verify-full") {
    throw new UsageError("--store-tls is require or verify-full");
  }
  const path = (flag: string, fromConfig: string | null) => {
    const f = (v[flag] as string | undefined) ?? fromConfig;
    return f ? resolve(f) : null;
  };
  const s: StoreTlsSettings = {
    storeTls: mode,
    storeCaFile: path("store-ca-file", server.storeCaFile),
    storeCertFile: path("store-cert-file", server.storeCertFile),
    storeKeyFile: path("store-key-file", server.storeKeyFile),
  };
  try {
    resolveStoreTls(
      store === null ? undefined : parsePostgresUrl(store).sslmode,
      s,
      store !== null,
    );
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return s;
}

function adminFlag(admin: boolean | undefined, noAdmin: boolean | undefined) {
  if (admin && noAdmin) throw new UsageError("--admin and --no-admin contradict each other");
  return admin ? true : noAdmin ? false : undefined;
}

/** {@linkcode parseAdminArgs} with the `--config` file read from disk. */
export async function readAdminArgs(argv: string[]): Promise<AdminOptions> {
  return parseAdminArgs(argv, await readConfigText(argv));
}

/**
 * The operator commands' `deno run` flags: read/write the data dir only,
 * read the config file, and the host name (certificate names, the default
 * server URL). Pure.
 */
export function adminFlags(o: AdminOptions): string[] {
  if (o.remote) {
    // Remote: the server's one origin, and the files named; no data dir, no store.
    const r = o.remote;
    const files = [r.caFile, r.loginPasswordFile, r.tokenFile, o.configFile].filter(
      (f): f is string => f !== null,
    );
    return [
      `--allow-net=${r.hostPort}`,
      ...(files.length ? [`--allow-read=${files.join(",")}`] : []),
    ];
  }
  const read = [o.dataDir, ...(o.configFile ? [o.configFile] : [])];
  const pg = o.store
    ? postgresGrants({
      servers: [parsePostgresUrl(o.store)],
      files: [
        ...[o.storePasswordFile, o.kekFile].filter((f): f is string => !!f),
        ...storeTlsFiles(resolveStoreTls(parsePostgresUrl(o.store).sslmode, o)),
      ],
    })
    : null;
  return [
    ...(pg ? [`--allow-net=${pg.net.join(",")}`] : []),
    `--allow-read=${[...new Set([...read, ...pg?.read ?? []])].join(",")}`,
    `--allow-write=${o.dataDir}`,
    "--allow-sys=hostname",
    ...(pg && !o.storePasswordFile ? ["--allow-env=VIGIL_STORE_PASSWORD"] : []),
    ...(pg ? [`--ignore-env=${pg.ignoreEnv.join(",")}`] : []),
  ];
}
