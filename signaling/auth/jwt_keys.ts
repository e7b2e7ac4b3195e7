/**
 * The server's JWT signing keys: Ed25519, each with a `kid`. The private key
 * is a PKCS#8 PEM file (0600) under `<data>/keys/`, or, in a cluster, sealed
 * in the shared store under the key-encryption key (a {@linkcode PrivateKeySource},
 * certs/shared_keys.ts); the public JWK and the key's life are in the store.
 * Rotation makes a new current key, deletes the retired keys' private halves,
 * and keeps their public keys until every token they signed has expired
 * (`GRACE_MS`): then they stop verifying (`verifyUntil`) and leave JWKS at the
 * next reload (the server schedules one at `nextExpiry`).
 * @module
 */
import * as jose from "jose";
import { join } from "node:path";
import type { Store } from "../store/store.ts";
import { writeSecretFile } from "../../pki/mod.ts";

/** Signing key plus every public key still valid for verification. */
export interface KeyRing {
  current: { kid: string; privateKey: CryptoKey };
  /** kid → public key; includes retired keys within their grace period. */
  publicKeys: Map<string, CryptoKey>;
  /** The JWKS document served at `/.well-known/jwks.json`. */
  jwks: { keys: jose.JWK[] };
  /**
   * kid → end of its grace (ms) for retired keys: past it a token signed with
   * the key is refused even before the ring is reloaded (tokens.ts).
   */
  verifyUntil: Map<string, number>;
  /** When the next retired key's grace ends (reload then: it leaves JWKS), or null. */
  nextExpiry: number | null;
}

/** Longest lifetime of any token we sign; retired keys stay this long (plus skew). */
export const MAX_TOKEN_TTL_MS = 5 * 60_000;
export const GRACE_MS = MAX_TOKEN_TTL_MS + 60_000;

function keyPath(dataDir: string, kid: string) {
  return join(dataDir, "keys", `jwt-${kid}.pem`);
}

/** Where the private halves are kept. */
export interface PrivateKeySource {
  save(kid: string, pkcs8Pem: string): Promise<void>;
  load(kid: string): Promise<string>;
  /**
   * Deletes the private halves of these retired keys (a retired key never
   * signs again). Only keys the store lists as retired: a key saved but not
   * yet current (another node rotating) must stay.
   */
  remove?(kids: readonly string[]): Promise<void>;
}

/** Private keys as 0600 files in the data dir (one process). */
export function fileKeySource(dataDir: string): PrivateKeySource {
  return {
    save: (kid, pem) => writeSecretFile(keyPath(dataDir, kid), pem),
    load: (kid) => Deno.readTextFile(keyPath(dataDir, kid)),
    async remove(kids) {
      for (const kid of kids) {
        await Deno.remove(keyPath(dataDir, kid)).catch((err) => {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        });
      }
    },
  };
}

const sourceOf = (s: string | PrivateKeySource) => typeof s === "string" ? fileKeySource(s) : s;

/** Makes a new current key and retires the previous one (`keys`: a data dir or a source). */
export async function rotateJwtKey(
  store: Store,
  keys: string | PrivateKeySource,
  now = Date.now(),
) {
  const { privateKey, publicKey } = await jose.generateKeyPair("EdDSA", {
    crv: "Ed25519",
    extractable: true,
  });
  const jwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(jwk);
  // The private half first: a current key whose private half is missing would stop every node.
  await sourceOf(keys).save(kid, await jose.exportPKCS8(privateKey));
  await store.jwtKeys.rotate(
    { kid, publicJwk: JSON.stringify({ ...jwk, kid, alg: "EdDSA", use: "sig" }) },
    now,
  );
  // The retired keys' private halves go: verification needs only the public ones.
  await removeRetiredPrivateKeys(store, keys);
  return kid;
}

/** Deletes the private half of every key the store lists as retired. */
async function removeRetiredPrivateKeys(store: Store, keys: string | PrivateKeySource) {
  const retired = (await store.jwtKeys.list(0)).filter((r) => r.retiredAt !== null);
  await sourceOf(keys).remove?.(retired.map((r) => r.kid));
}

/** Loads the key ring, creating the first key if there is none. */
export async function loadKeyRing(
  store: Store,
  keys: string | PrivateKeySource,
  now = Date.now(),
): Promise<KeyRing> {
  let rows = await store.jwtKeys.list(now - GRACE_MS);
  if (!rows.some((r) => r.retiredAt === null)) {
    await rotateJwtKey(store, keys, now);
    rows = await store.jwtKeys.list(now - GRACE_MS);
  }
  const current = rows.find((r) => r.retiredAt === null)!;
  const pem = await sourceOf(keys).load(current.kid);
  const privateKey = await jose.importPKCS8(pem, "EdDSA") as CryptoKey;
  // Private halves of retired keys left by older versions go too.
  await removeRetiredPrivateKeys(store, keys);
  const publicKeys = new Map<string, CryptoKey>();
  const verifyUntil = new Map<string, number>();
  const jwks: jose.JWK[] = [];
  for (const r of rows) {
    const jwk = JSON.parse(r.publicJwk) as jose.JWK;
    publicKeys.set(r.kid, await jose.importJWK(jwk, "EdDSA") as CryptoKey);
    if (r.retiredAt !== null) verifyUntil.set(r.kid, r.retiredAt + GRACE_MS);
    jwks.push(jwk);
  }
  const ends = [...verifyUntil.values()];
  return {
    current: { kid: current.kid, privateKey },
    publicKeys,
    jwks: { keys: jwks },
    verifyUntil,
    nextExpiry: ends.length ? Math.min(...ends) : null,
  };
}
