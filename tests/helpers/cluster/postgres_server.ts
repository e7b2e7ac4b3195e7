/**
 * A real PostgreSQL 15 (Debian's) for a test: a fresh cluster in a temporary
 * directory, on a random loopback port, owned by and run as an unprivileged
 * user (PostgreSQL refuses root: under root the system user `vigil-pg` is
 * created if absent). TCP clients must use SCRAM-SHA-256; the application role
 * `vigil` (no superuser) owns the database `vigil`, its password is in a 0600
 * file. The Unix socket lives in the private directory (peer auth, for setup).
 *
 * With `tls`, the server has `ssl=on` and a certificate from a fresh test CA
 * (by default for `localhost` and 127.0.0.1), and pg_hba.conf only lets the
 * `vigil` role in over TLS (`hostssl`), by password or by client certificate
 * (`cert`); any TCP connection without TLS is rejected (`hostnossl … reject`).
 *
 * @example
 * ```ts
 * await using pg = await startPostgres();
 * const sql = postgres({ host: pg.host, port: pg.port, database: pg.database,
 *   username: pg.user, password: await Deno.readTextFile(pg.passwordFile) });
 * ```
 * @module
 */
import {
  createRootCa,
  exportPrivateKeyPem,
  issueServerCertificate,
  loadCa,
  writePublicFile,
  writeSecretFile,
} from "../../../pki/mod.ts";
import type { CaBundle } from "../../../pki/ca.ts";
import { issueCertificate } from "../../../pki/issue.ts";
import { generateEcKeyPair } from "../../../pki/keys.ts";
import { validityWindow } from "../../../pki/validity.ts";
import { x509 } from "../../../pki/x509_lib.ts";
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

/** How the `vigil` role logs in over TLS: its password, or a client certificate (CN = role). */
export type PostgresTlsAuth = "scram-sha-256" | "cert";

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Serve TLS and require it for TCP clients (see the module doc). */
  tls?: {
    /** DNS names of the server certificate (default `["localhost"]`). */
    dnsNames?: string[];
    /** IP addresses of the server certificate (default `["127.0.0.1"]`). */
    ipAddresses?: string[];
    /** Default `scram-sha-256`. */
    auth?: PostgresTlsAuth;
  };
}

/** The TLS side of a server started with `tls`. */
export interface PostgresTls {
  /** The test CA's certificate (PEM file): it signed the server's certificate. */
  readonly caFile: string;
  /** A client certificate for `user` from the test CA, as files (key 0600) under `dir`. */
  issueClientCert(user: string, dir?: string): Promise<{ certFile: string; keyFile: string }>;
}

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
  /** With `tls`: the CA file and client certificates. */
  readonly tls?: PostgresTls;
  /** Server log tail, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

/** The server's TLS files (ssl_cert_file, ssl_key_file, ssl_ca_file). */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** Settings that make a throwaway test cluster fast (it is deleted afterwards); TLS if given. */
export function postgresArgs(
  dataDir: string,
  socketDir: string,
  port: number,
  tls?: ServerTlsFiles,
): string[] {
  const ssl = tls
    ? [
      "-c",
      "ssl=on",
      "-c",
      `ssl_cert_file=${tls.certFile}`,
      "-c",
      `ssl_key_file=${tls.keyFile}`,
      "-c",
      `ssl_ca_file=${tls.caFile}`,
    ]
    : [];
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
    ...ssl,
  ];
}

/**
 * pg_hba.conf for TLS: setup over the Unix socket (peer); TCP only over TLS
 * and only for `role`, by `auth`; without TLS, and anyone else, rejected.
 */
export function tlsHbaConf(role: string, auth: PostgresTlsAuth): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(role)) throw new RangeError(`bad role name: ${role}`);
  return [
    "local all all peer",
    `hostssl all ${role} 127.0.0.1/32 ${auth}`,
    "hostnossl all all 0.0.0.0/0 reject",
    "host all all 0.0.0.0/0 reject",
    "",
  ].join("\n");
}

/** A client certificate for `user` (CN, which `cert` auth maps to the role), clientAuth only. */
async function clientCertificate(ca: CaBundle, user: string) {
  const keys = await generateEcKeyPair(true);
  const { notBefore, notAfter } = validityWindow(new Date(), 86_400_000, ca.cert.notAfter);
  const issued = await issueCertificate(ca, {
    subjectCn: user,
    publicKey: keys.publicKey,
    notBefore,
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return { certPem: issued.certPem, keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** A fresh CA and a server certificate from it, written under `dir` (owned by `runAs`). */
async function serverTls(
  dir: string,
  o: NonNullable<StartPostgresOptions["tls"]>,
  runAs: RunAs | undefined,
): Promise<{ files: ServerTlsFiles; tls: PostgresTls }> {
  const root = await createRootCa({ commonName: "vigil test PostgreSQL CA" });
  const ca = await loadCa(root.certPem, root.keyPem);
  const server = await issueServerCertificate(ca, {
    dnsNames: o.dnsNames ?? ["localhost"],
    ipAddresses: o.ipAddresses ?? ["127.0.0.1"],
  });
  const files = {
    certFile: `${dir}/server.pem`,
    keyFile: `${dir}/server.key`,
    caFile: `${dir}/ca.pem`,
  };
  await writePublicFile(files.certFile, server.certPem);
  await writePublicFile(files.caFile, root.certPem);
  // PostgreSQL refuses a key file that is not its own user's and 0600.
  await writeSecretFile(files.keyFile, server.keyPem);
  if (runAs) {
    for (const f of Object.values(files)) await Deno.chown(f, runAs.uid, runAs.gid);
  }
  return {
    files,
    tls: {
      caFile: files.caFile,
      async issueClientCert(user, into = dir) {
        const c = await clientCertificate(ca, user);
        const out = {
          certFile: `${into}/${user}.client.pem`,
          keyFile: `${into}/${user}.client.key`,
        };
        await writePublicFile(out.certFile, c.certPem);
        await writeSecretFile(out.keyFile, c.keyPem);
        return out;
      },
    },
  };
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
export async function startPostgres(o: StartPostgresOptions = {}): Promise<PostgresServer> {
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
    const tls = o.tls ? await serverTls(dir, o.tls, runAs) : undefined;
    if (o.tls) {
      await Deno.writeTextFile(
        `${dataDir}/pg_hba.conf`,
        tlsHbaConf("vigil", o.tls.auth ?? "scram-sha-256"),
      );
    }
    const port = freePort();
    const launch = async () => {
      const p = spawnService(
        `${PG_BIN}/postgres`,
        postgresArgs(dataDir, dir, port, tls?.files),
        { runAs },
      );
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
      tls: tls?.tls,
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
