/**
 * Where the footage key (recordings/sealed_segment.ts) lives: the file given
 * with `--recordings-key-file` (every node of a cluster sharing a recordings
 * directory holds the same one), else `<data dir>/keys/recordings.key`,
 * made on first start. 32 random bytes in base64, mode 0600. Keep it apart
 * from backups of the recordings: without it, they are noise; lose it, and
 * so is the footage.
 *
 * @example
 * ```ts
 * const key = await loadFootageKey("/srv/vigil", null); // creates /srv/vigil/keys/recordings.key
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { readKeyFile } from "../auth/kek.ts";
import { writeSecretFile } from "../../pki/mod.ts";
import { FootageKey } from "./sealed_segment.ts";

const WHAT = "the recordings key";

/** The default key file of a data dir. */
export function defaultFootageKeyPath(dataDir: string): string {
  return join(dataDir, "keys", "recordings.key");
}

/** Loads the footage key; the data dir's default file is created when missing, a given one never. */
export async function loadFootageKey(dataDir: string, file: string | null): Promise<FootageKey> {
  const path = file ?? defaultFootageKeyPath(dataDir);
  if (file === null && !(await exists(path))) {
    // Written whole or not at all (a crash mid-write must not leave a key that cannot open).
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
    await writeSecretFile(path, `${secret}\n`);
  }
  return await FootageKey.fromBytes(await readKeyFile(path, WHAT));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
