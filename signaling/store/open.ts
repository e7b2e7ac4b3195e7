/**
 * Opens the store the settings name: SQLite in the data dir (the default),
 * or the cluster's PostgreSQL (`--store`), whose password is read from
 * `--store-password-file` or `VIGIL_STORE_PASSWORD`, never from argv.
 * @module
 */
import { join } from "node:path";
import { openSqliteStore } from "./sqlite.ts";
import type { Store } from "./store.ts";

/** The settings that say where the store is. */
export interface StoreSettings {
  dataDir: string;
  store: string | null;
  storePasswordFile: string | null;
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
  const password = await readSecret(
    s.storePasswordFile,
    "VIGIL_STORE_PASSWORD",
    "store password (--store-password-file)",
  );
  // Loaded only for a cluster: the embedded default never imports the client.
  const { openPostgresStore } = await import("./postgres.ts");
  return await openPostgresStore({ url: s.store, password });
}
