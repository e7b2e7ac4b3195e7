/**
 * Time-limited TURN credentials as in "A REST API For Access To TURN
 * Services" (draft-uberti-behave-turn-rest-00 §2.2), the scheme coturn
 * implements as `use-auth-secret` / `static-auth-secret`:
 *
 * - username   = `<expiry, Unix seconds>:<opaque id>`
 * - credential = base64(HMAC-SHA1(shared secret, username))
 *
 * The TURN server recomputes the credential from the username and refuses
 * it once the expiry has passed (coturn checks it when an allocation is
 * created, not on later refreshes of that allocation). The opaque id is
 * random, so coturn's logs and quotas never see a user or camera name.
 *
 * A credential is a bearer secret: never log it. Its `Deno.inspect` form
 * shows only the username.
 *
 * @example
 * ```ts
 * const c = await mintTurnCredential(secret, { ttlMs: 5 * 60_000 });
 * // { username: "1767225900:Jm3k…", credential: "Zk1…=", expiresAt: Date }
 * ```
 * @module
 */
import { toBase64 } from "../../pki/encoding.ts";
import { encodeBase64Url } from "../auth/base64url.ts";

/** Shortest shared secret accepted (the draft asks for a secret only server and TURN know). */
export const MIN_SECRET_LENGTH = 32;
/** Longest credential lifetime accepted: credentials are meant to be short-lived. */
export const MAX_TTL_MS = 24 * 3_600_000;

/** One TURN REST credential pair. */
export interface TurnCredential {
  /** `<expiry>:<opaque id>`. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)): the TURN password. */
  credential: string;
  /** When the TURN server stops accepting it for new allocations. */
  expiresAt: Date;
}

/** Options of {@linkcode mintTurnCredential}. */
export interface MintOptions {
  /** Lifetime in ms (1 s – 24 h); rounded down to whole seconds. */
  ttlMs: number;
  /** Current time in ms (default `Date.now()`). */
  now?: number;
  /** Opaque id after the colon (default 16 random bytes, base64url). No ':' allowed. */
  id?: string;
}

const ID = /^[A-Za-z0-9._~-]{1,64}$/;

/**
 * Mints a credential valid for `ttlMs` from `now`.
 * Throws `RangeError` for a short secret, a lifetime outside 1 s – 24 h or a bad id.
 */
export async function mintTurnCredential(secret: string, o: MintOptions): Promise<TurnCredential> {
  checkSecret(secret);
  if (!Number.isFinite(o.ttlMs) || o.ttlMs < 1_000 || o.ttlMs > MAX_TTL_MS) {
    throw new RangeError("the TURN credential lifetime must be between 1 s and 24 h");
  }
  const id = o.id ?? encodeBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  if (!ID.test(id)) {
    throw new RangeError("a TURN credential id is 1–64 characters of A-Z a-z 0-9 . _ ~ -");
  }
  const expiry = Math.floor(((o.now ?? Date.now()) + o.ttlMs) / 1000);
  const username = `${expiry}:${id}`;
  return await credentialFor(secret, username, new Date(expiry * 1000));
}

/**
 * The credential for an exact `username` (for tests and for an expired
 * username, which a TURN server must refuse). No checks on the username.
 */
export async function turnPassword(secret: string, username: string): Promise<string> {
  checkSecret(secret);
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(username));
  return toBase64(new Uint8Array(mac));
}

/** The expiry (Unix seconds) a REST username carries, or null if it has none. */
export function usernameExpiry(username: string): number | null {
  const m = /^(\d{1,12}):/.exec(username);
  return m ? Number(m[1]) : null;
}

async function credentialFor(
  secret: string,
  username: string,
  expiresAt: Date,
): Promise<TurnCredential> {
  const credential = await turnPassword(secret, username);
  return {
    username,
    credential,
    expiresAt,
    // Keep the password out of console.log and error dumps; JSON still carries it.
    [Symbol.for("Deno.customInspect")]() {
      return `TurnCredential { username: ${JSON.stringify(username)}, credential: [redacted] }`;
    },
  } as TurnCredential;
}

function checkSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`the TURN shared secret must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}
