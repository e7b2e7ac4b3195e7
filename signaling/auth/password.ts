/**
 * Password hashing with scrypt (memory-hard, from node:crypto): N = 2^15,
 * r = 8, p = 1 (32 MiB per hash), a random 16-byte salt per password.
 * Stored as `scrypt$N$r$p$salt$hash` (base64url) so parameters can grow.
 *
 * @example
 * ```ts
 * const stored = await hashPassword("correct horse");
 * await verifyPassword("correct horse", stored); // true
 * ```
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";

const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_LEN,
      { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 },
      (err, key) => err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Checks a password against a stored hash in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], "base64url");
  const expected = Buffer.from(parts[5], "base64url");
  const key = await derive(password, salt, n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, verified against when the user is unknown so
 * that "no such user" and "wrong password" take the same time.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomUUID());
  return dummy;
}
let dummy: Promise<string> | undefined;

/** Minimum password policy for `user:add` / `user:passwd`. */
export function checkPasswordPolicy(password: string): string | null {
  if (password.length < 10) return "password must be at least 10 characters";
  if (password.length > 1024) return "password is too long (max 1024 characters)";
  return null;
}
