/**
 * The key-encryption key (KEK) of a cluster: 32 random bytes (base64 in a
 * 0600 file every node holds, `--kek-file`) under which the CA key and the
 * JWT signing keys are sealed in the shared store. AES-256-GCM with a fresh
 * 96-bit IV per seal (NIST SP 800-38D 8.2.2: random IVs, far below 2^32
 * seals per key) and the record's name as additional data, so a sealed value
 * cannot be moved to another name. The store alone (a dump, a replica, its
 * operator) never holds a usable key.
 *
 * Sealed form: `v1.<iv base64url>.<ciphertext+tag base64url>`.
 *
 * @example
 * ```ts
 * const kek = await loadKek("/etc/vigil/kek");  // openssl rand -base64 32 > kek; chmod 600 kek
 * const sealed = await seal(kek, "ca", pem);
 * await unseal(kek, "ca", sealed) === pem;
 * ```
 * @module
 */
import { Buffer } from "node:buffer";

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const unb64u = (s: string) => Uint8Array.from(Buffer.from(s, "base64url"));
const aad = (name: string) => new TextEncoder().encode(`vigil-sealed:${name}`);

/** Imports 32 bytes as an AES-256-GCM key (not extractable). */
export async function kekFromBytes(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (bytes.length !== 32) throw new Error(`a key-encryption key is 32 bytes, not ${bytes.length}`);
  return await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Reads the KEK file: base64 of 32 bytes, mode 0600 (or stricter), else a clear error. */
export async function loadKek(path: string): Promise<CryptoKey> {
  return await kekFromBytes(await readKeyFile(path, "the key-encryption key"));
}

/**
 * Reads a 32-byte secret key file (`what` names it in errors): base64 of 32
 * bytes, mode 0600 or stricter.
 */
export async function readKeyFile(path: string, what: string): Promise<Uint8Array<ArrayBuffer>> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    throw new Error(
      `${what} ${path} is readable by others (mode ${
        (info.mode & 0o777).toString(8)
      }): chmod 600 it`,
    );
  }
  const text = (await Deno.readTextFile(path)).trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    throw new Error(
      `${what} ${path} must hold 32 random bytes in base64 (openssl rand -base64 32)`,
    );
  }
  return Uint8Array.from(Buffer.from(text, "base64"));
}

/** Seals `plaintext` under `kek`, bound to `name`. */
export async function seal(kek: CryptoKey, name: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(name) },
    kek,
    new TextEncoder().encode(plaintext),
  );
  return `v1.${b64u(iv)}.${b64u(new Uint8Array(ct))}`;
}

/** Opens a sealed value; throws without details if the key, name or bytes do not match. */
export async function unseal(kek: CryptoKey, name: string, sealed: string): Promise<string> {
  const m = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/.exec(sealed);
  if (!m) throw new Error(`sealed key "${name}" is not in the v1 form`);
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: unb64u(m[1]), additionalData: aad(name) },
      kek,
      unb64u(m[2]),
    );
    return new TextDecoder().decode(pt);
  } catch {
    throw new Error(
      `cannot unseal "${name}": a different key-encryption key than the cluster's, or altered data`,
    );
  }
}
