/**
 * Opens the store the settings name: SQLite in the data dir (the default),
 * or the cluster's PostgreSQL (`--store`), whose password is read from
 * `--store-password-file` or `VIGIL_STORE_PASSWORD`, never from argv, over
 * TLS when asked (`--store-ca-file`, `--store-tls`, client certificate:
 * postgres_tls.ts).
 * @module
 */
import { join } from "node:path";
import {
  resolveStoreTls,
  type StoreTls,
  type StoreTlsMaterial,
  type StoreTlsSettings,
} from "./postgres_tls.ts";
import { parsePostgresUrl } from "./postgres_url.ts";
import { openSqliteStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** The settings that say where the store is. */
export interface StoreSettings {
  dataDir: string;
  store: string | null;
  storePasswordFile: string | null;
  /** TLS settings (absent: none). */
  storeTls?: StoreTlsSettings["storeTls"];
  storeCaFile?: string | null;
  storeCertFile?: string | null;
  storeKeyFile?: string | null;
}

/** The TLS settings of `s`, absent ones as null. */
export function storeTlsSettings(s: Partial<StoreTlsSettings>): StoreTlsSettings {
  return {
    storeTls: s.storeTls ?? null,
    storeCaFile: s.storeCaFile ?? null,
    storeCertFile: s.storeCertFile ?? null,
    storeKeyFile: s.storeKeyFile ?? null,
  };
}

/** Largest PEM file read (a CA bundle of a few hundred certificates fits). */
const MAX_PEM_BYTES = 1024 * 1024;

/**
 * Reads a PEM file, at most {@link MAX_PEM_BYTES}; a `secret` (a private
 * key) must not be readable by group or others. Errors name the file and flag.
 */
export async function readPemFile(path: string, what: string, secret = false): Promise<string> {
  const file = await Deno.open(path, { read: true }).catch((err) => {
    throw new Error(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  });
  try {
    const info = await file.stat();
    if (secret && info.mode !== null && (info.mode & 0o077) !== 0) {
      throw new Error(
        `the ${what} ${path} is readable by others (mode ${
          (info.mode & 0o777).toString(8)
        }): chmod 600 it`,
      );
    }
    const notPem = new Error(`the ${what} ${path} is not a PEM file of at most 1 MiB`);
    if (!info.isFile) throw notPem;
    // Bounded read: one byte past the limit tells a file that is too long.
    const buf = new Uint8Array(MAX_PEM_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = await file.read(buf.subarray(n))) !== null;) n += r;
    const text = new TextDecoder().decode(buf.subarray(0, n));
    if (n > MAX_PEM_BYTES || !text.includes("-----BEGIN ")) throw notPem;
    return text;
  } finally {
    file.close();
  }
}

/** The contents of the TLS files the store link uses. */
export async function readStoreTls(t: StoreTls): Promise<StoreTlsMaterial> {
  return {
    mode: t.mode,
    caFile: t.caFile,
    ...(t.caFile ? { caPem: await readPemFile(t.caFile, "store CA file (--store-ca-file)") } : {}),
    ...(t.certFile && t.keyFile
      ? {
        certPem: await readPemFile(t.certFile, "store client certificate (--store-cert-file)"),
        keyPem: await readPemFile(t.keyFile, "store client key (--store-key-file)", true),
      }
      : {}),
  };
}

/** Reads a secret from a file (one line, trimmed) or an env var; says which is missing. */
export async function readSecret(
  file: string | null,
  envVar: string,
  what: string,
): Promise<string> {
  if (file) {
    const text = (await Deno.readTextFile(file).catch((err) => {
      throw new Error(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
    })).trim();
    if (!text) throw new Error(`the ${what} file ${file} is empty`);
    return text;
  }
  const env = Deno.env.get(envVar);
  if (!env) throw new Error(`no ${what}: give its file or set ${envVar}`);
  return env;
}

/** Opens (and migrates) the store. */
export async function openStore(s: StoreSettings): Promise<Store> {
  if (!s.store) {
    await Deno.mkdir(s.dataDir, { recursive: true, mode: 0o700 });
    return await openSqliteStore(join(s.dataDir, "vigil.db"));
  }
  const tls = await readStoreTls(
    resolveStoreTls(parsePostgresUrl(s.store).sslmode, storeTlsSettings(s)),
  );
  const secret = () =>
    readSecret(
      s.storePasswordFile,
      "VIGIL_STORE_PASSWORD",
      "store password (--store-password-file)",
    );
  // With a client certificate the server may ask for no password (pg_hba `cert`).
  const password = tls.certPem && !s.storePasswordFile
    ? Deno.env.get("VIGIL_STORE_PASSWORD") ?? ""
    : await secret();
  // Loaded only for a cluster: the embedded default never imports the client.
  const { openPostgresStore } = await import("./postgres.ts");
  return await openPostgresStore({ url: s.store, password, tls });
}
