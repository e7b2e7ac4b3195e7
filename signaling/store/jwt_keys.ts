/**
 * The JWT signing keys' public halves and lives (the {@linkcode JwtKeyStore}
 * over SQL). Rotation retires every current key and adds the new one in one
 * transaction, so there is always exactly one current key.
 * @module
 */
import { appendEvent } from "./cluster.ts";
import type { SqlDriver } from "./sql.ts";
import type { JwtKeyRecord, JwtKeyStore } from "./store.ts";

/** The JWT key store over `db`. */
export function jwtKeyStore(db: SqlDriver): JwtKeyStore {
  return {
    async list(retiredAfter) {
      const rows = await db.all<
        { kid: string; public_jwk: string; created_at: number; retired_at: number | null }
      >(
        `SELECT kid, public_jwk, created_at, retired_at FROM jwt_keys
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at, kid`,
        [retiredAfter],
      );
      return rows.map((r): JwtKeyRecord => ({
        kid: r.kid,
        publicJwk: r.public_jwk,
        createdAt: r.created_at,
        retiredAt: r.retired_at,
      }));
    },

    rotate: (key, now) =>
      db.transaction(async (tx) => {
        await tx.run("UPDATE jwt_keys SET retired_at = $1 WHERE retired_at IS NULL", [now]);
        await tx.run("INSERT INTO jwt_keys (kid, public_jwk, created_at) VALUES ($1, $2, $3)", [
          key.kid,
          key.publicJwk,
          now,
        ]);
        await appendEvent(tx, "keys.rotated", key.kid, now);
      }),
  };
}
