/**
 * The secret the vigil server shares with coturn (`static-auth-secret`):
 * created on first start as a 0600 file in the data dir, read back on every
 * start. A file that others can read, or that holds something that cannot
 * be a secret, is refused with a message saying how to fix it.
 *
 * @example
 * ```ts
 * const secret = await ensureTurnSecret(`${dataDir}/turn/secret`);
 * ```
 * @module
 */
import { encodeBase64Url } from "../auth/base64url.ts";

/** What a usable secret looks like (also safe inside coturn's config syntax). */
export const TURN_SECRET_PATTERN = /^[A-Za-z0-9+/=_-]{32,256}$/;

/** A secret file that cannot be used. */
export class TurnSecretError extends Error {
  override name = "TurnSecretError";
}

/**
 * Reads the secret at `path`. Throws {@linkcode TurnSecretError} when the
 * file is readable by group or others, or does not hold a usable secret.
 */
export async function readTurnSecret(path: string): Promise<string> {
  const info = await Deno.stat(path);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new TurnSecretError(
      `${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 ${path}`,
    );
  }
  // Bounded read: a secret is at most 256 characters (+ a newline).
  const file = await Deno.open(path, { read: true });
  const buf = new Uint8Array(260);
  let n = 0;
  try {
    while (n < buf.length) {
      const r = await file.read(buf.subarray(n));
      if (r === null) break;
      n += r;
    }
  } finally {
    file.close();
  }
  const text = new TextDecoder().decode(buf.subarray(0, n)).replace(/\r?\n$/, "");
  if (!TURN_SECRET_PATTERN.test(text)) {
    throw new TurnSecretError(
      `${path} does not hold a TURN secret (32–256 characters of A-Z a-z 0-9 + / = _ -)`,
    );
  }
  return text;
}

/**
 * Returns the secret at `path`, creating it first (256 random bits,
 * base64url, mode 0600, parent directory 0700) if there is none. Two
 * processes starting at once agree on one secret: the file is linked into
 * place only if nothing is there yet.
 */
export async function ensureTurnSecret(path: string): Promise<string> {
  try {
    return await readTurnSecret(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const slash = path.lastIndexOf("/");
  const dir = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  const secret = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  try {
    await Deno.chmod(temp, 0o600); // the umask may have narrowed it; make it exact
    await file.write(new TextEncoder().encode(`${secret}\n`));
    await file.sync();
  } finally {
    file.close();
  }
  try {
    await Deno.link(temp, path); // fails if another process got there first
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
  return await readTurnSecret(path);
}
