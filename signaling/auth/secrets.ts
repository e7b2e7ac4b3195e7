/**
 * Random bearer secrets (enrollment and refresh tokens) and their storage
 * hashes. Tokens carry 256 bits of entropy, so a plain SHA-256 is a safe
 * storage hash (no KDF needed) and lookups by hash leak nothing useful.
 *
 * @example
 * ```ts
 * const token = randomToken("vet"); // "vet_…43 chars…"
 * const hash = await sha256Hex(token);
 * ```
 * @module
 */
import { encodeBase64Url } from "./base64url.ts";

/** A new random token with a recognizable prefix (for secret scanners). */
export function randomToken(prefix: string): string {
  return `${prefix}_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Lowercase hex SHA-256 of a string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
