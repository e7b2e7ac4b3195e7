/**
 * The server's JWT signing keys: Ed25519, each with a `kid`. The private key
 * is a PKCS#8 PEM file (0600) under `<data>/keys/`; the public JWK and the
 * key's life are in the store. Rotation makes a new current key and keeps
 * retired public keys until every token they signed has expired.
 * @module
 */
import * as jose from "jose";
import { join } from "node:path";
import type { Database } from "../store/db.ts";
import { writeSecretFile } from "../../pki/mod.ts";

/** Signing key plus every public key still valid for verification. */
export interface KeyRing {
  current: { kid: string; privateKey: CryptoKey };
  /** kid → public key; includes retired keys within their grace period. */
  publicKeys: Map<string, CryptoKey>;
  /** The JWKS document served at `/.well-known/jwks.json`. */
  jwks: { keys: jose.JWK[] };
}

/** Longest lifetime of any token we sign; retired keys stay this long (plus skew). */
export const MAX_TOKEN_TTL_MS = 5 * 60_000;
const GRACE_MS = MAX_TOKEN_TTL_MS + 60_000;

function keyPath(dataDir: string, kid: string) {
  return join(dataDir, "keys", `jwt-${kid}.pem`);
}

/** Makes a new current key and retires the previous one. */
export async function rotateJwtKey(db: Database, dataDir: string, now = Date.now()) {
  const { privateKey, publicKey } = await jose.generateKeyPair("EdDSA", {
    crv: "Ed25519",
    extractable: true,
  });
  const jwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(jwk);
  await writeSecretFile(keyPath(dataDir, kid), await jose.exportPKCS8(privateKey));
  db.exec("BEGIN IMMEDIATE");
  try {
    db.prepare("UPDATE jwt_keys SET retired_at = ? WHERE retired_at IS NULL").run(now);
    db.prepare("INSERT INTO jwt_keys (kid, public_jwk, created_at) VALUES (?, ?, ?)").run(
      kid,
      JSON.stringify({ ...jwk, kid, alg: "EdDSA", use: "sig" }),
      now,
    );
    db.exec("COMMIT");
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
  return kid;
}

/** Loads the key ring, creating the first key if there is none. */
export async function loadKeyRing(
  db: Database,
  dataDir: string,
  now = Date.now(),
): Promise<KeyRing> {
  let rows = readKeys(db, now);
  if (!rows.some((r) => r.retired_at === null)) {
    await rotateJwtKey(db, dataDir, now);
    rows = readKeys(db, now);
  }
  const current = rows.find((r) => r.retired_at === null)!;
  const pem = await Deno.readTextFile(keyPath(dataDir, current.kid));
  const privateKey = await jose.importPKCS8(pem, "EdDSA") as CryptoKey;
  const publicKeys = new Map<string, CryptoKey>();
  const keys: jose.JWK[] = [];
  for (const r of rows) {
    const jwk = JSON.parse(r.public_jwk) as jose.JWK;
    publicKeys.set(r.kid, await jose.importJWK(jwk, "EdDSA") as CryptoKey);
    keys.push(jwk);
  }
  return { current: { kid: current.kid, privateKey }, publicKeys, jwks: { keys } };
}

function readKeys(db: Database, now: number) {
  return db.prepare(
    "SELECT kid, public_jwk, retired_at FROM jwt_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at",
  ).all(now - GRACE_MS) as { kid: string; public_jwk: string; retired_at: number | null }[];
}
