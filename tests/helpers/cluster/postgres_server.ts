/**
 * A real PostgreSQL 15 (Debian's) for a test: a fresh cluster in a temporary
 * directory, on a random loopback port, owned by and run as an unprivileged
 * user (PostgreSQL refuses root: under root the system user `vigil-pg` is
 * created if absent). TCP clients must use SCRAM-SHA-256; the application role
 * `vigil` (no superuser) owns the database `vigil`, its password is in a 0600
 * file. The Unix socket lives in the private directory (peer auth, for setup).
 *
 * @example
 * ```ts
 * await using pg = await startPostgres();
 * const sql = postgres({ host: pg.host, port: pg.port, database: pg.database,
 *   username: pg.user, password: await Deno.readTextFile(pg.passwordFile) });
 * ```
 * @module
 */
import { writeSecretFile } from "../../../pki/mod.ts";
import { PG_BIN } from "./requirements.ts";
import {
  freePort,
  randomSecret,
  type RunAs,
  runChecked,
  serviceDir,
  type ServiceProcess,
  spawnService,
  waitReady,
} from "./service.ts";

/** The unprivileged system user the server runs as when the tests run as root. */
export const PG_SYSTEM_USER = "vigil-pg";

/** A running PostgreSQL. `close()` (or `await using`) stops it and removes its files. */
export interface PostgresServer extends AsyncDisposable {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** 0600 file holding the `vigil` role's password. */
  readonly passwordFile: string;
  /** `postgres://vigil@127.0.0.1:PORT/vigil` (no password: it stays in the file). */
  readonly url: string;
  /** Stops the server (fast shutdown, or SIGKILL with `kill`), keeping its data. */
  stop(o?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** The postmaster's pid (while running). */
  readonly pid: number | undefined;
  /** The private directory (data, socket, password file). */
  readonly dir: string;
  /** Server log tail, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/** Settings that make a throwaway test cluster fast (it is deleted afterwards). */
export function postgresArgs(dataDir: string, socketDir: string, port: number): string[] {
  return [
    "-D",
    dataDir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `port=${port}`,
    "-c",
    `unix_socket_directories=${socketDir}`,
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200",
  ];
}

/** SQL that creates the application role and its database (password as a literal, never argv). */
export function setupSql(role: string, database: string, password: string): string {
  for (const [what, v] of [["role", role], ["database", database]]) {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(v)) throw new RangeError(`bad ${what} name: ${v}`);
  }
  if (!/^[A-Za-z0-9_-]{16,}$/.test(password)) {
    throw new RangeError("the password must be 16+ base64url characters");
  }
  return [
    `CREATE ROLE ${role} LOGIN PASSWORD '${password}';`,
    `CREATE DATABASE ${database} OWNER ${role};`,
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC;`,
    "",
  ].join("\n");
}

async function idOf(flag: "-u" | "-g", user: string): Promise<number> {
  return Number((await runChecked(`id ${flag} ${user}`, "id", [flag, user])).trim());
}

/** The identity to run PostgreSQL as: ourselves, or `vigil-pg` under root (created if absent). */
async function serverIdentity(): Promise<RunAs | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const exists = async () =>
    (await new Deno.Command("id", { args: ["-u", PG_SYSTEM_USER], stdout: "null", stderr: "null" })
      .output()).success;
  let error = "";
  // Tests in parallel may create it at the same time (exit 9) or hold the passwd lock.
  for (let attempt = 0; attempt < 5 && !await exists(); attempt++) {
    const made = await new Deno.Command("useradd", {
      args: [
        "--system",
        "--user-group",
        "--no-create-home",
        "--home-dir",
        "/nonexistent",
        "--shell",
        "/usr/sbin/nologin",
        PG_SYSTEM_USER,
      ],
      stderr: "piped",
    }).output();
    if (made.success) break;
    error = new TextDecoder().decode(made.stderr).trim();
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!await exists()) throw new Error(`useradd ${PG_SYSTEM_USER} failed: ${error}`);
  return { uid: await idOf("-u", PG_SYSTEM_USER), gid: await idOf("-g", PG_SYSTEM_USER) };
}

/** Starts a fresh PostgreSQL; everything it made is removed again if starting fails. */
export async function startPostgres(): Promise<PostgresServer> {
  const runAs = await serverIdentity();
  const dir = await serviceDir("pg");
  let proc: ServiceProcess | undefined;
  try {
    if (runAs) await Deno.chown(dir, runAs.uid, runAs.gid);
    const dataDir = `${dir}/data`;
    await runChecked("initdb", `${PG_BIN}/initdb`, [
      "-D",
      dataDir,
      "--auth-local=peer",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ], { runAs });
    const port = freePort();
    const launch = async () => {
      const p = spawnService(`${PG_BIN}/postgres`, postgresArgs(dataDir, dir, port), { runAs });
      await waitReady(p, "postgres", async () => {
        const r = await new Deno.Command(`${PG_BIN}/pg_isready`, {
          args: ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "1"],
        }).output();
        return r.success;
      });
      return p;
    };
    proc = await launch();
    const password = randomSecret();
    await runChecked("creating the vigil role", `${PG_BIN}/psql`, [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      dir,
      "-p",
      String(port),
      "-d",
      "postgres",
      "-f",
      "-",
    ], { runAs, stdin: setupSql("vigil", "vigil", password) });
    // Root's own file beside the cluster: the server never needs it.
    const passwordFile = `${dir}/vigil.password`;
    await writeSecretFile(passwordFile, password);
    const close = async () => {
      await proc?.stop("SIGINT");
      await Deno.remove(dir, { recursive: true });
    };
    return {
      host: "127.0.0.1",
      port,
      database: "vigil",
      user: "vigil",
      passwordFile,
      url: `postgres://vigil@127.0.0.1:${port}/vigil`,
      get running() {
        return proc !== undefined && !proc.done;
      },
      get pid() {
        return proc?.pid;
      },
      dir,
      output: () => proc?.output() ?? "",
      async stop(o = {}) {
        await proc?.stop(o.kill ? "SIGKILL" : "SIGINT");
      },
      async start() {
        if (proc && !proc.done) return;
        proc = await launch();
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await proc?.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}
