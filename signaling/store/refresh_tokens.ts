/**
 * Rotating refresh tokens (the {@linkcode RefreshTokenStore} over SQL). Each
 * login starts a family; each refresh consumes the presented token and the
 * caller stores the next one in the same family. Presenting an already-used
 * token is reuse (a stolen copy): the whole family is revoked. The token's
 * row is read under a lock (`FOR UPDATE`; SQLite locks the whole database),
 * so two nodes presenting the same token at once cannot both rotate it: the
 * second sees it used, which is reuse.
 * @module
 */
import { appendEvent } from "./cluster.ts";
import { forUpdate, type SqlDriver, type SqlQueries } from "./sql.ts";
import type { RefreshTokenStore, RotateResult } from "./store.ts";

async function revokeFamilyIn(
  tx: SqlQueries,
  familyId: string,
  now: number,
  reason: string,
): Promise<void> {
  const added = await tx.run(
    `INSERT INTO revoked_families (family_id, revoked_at, reason) VALUES ($1, $2, $3)
     ON CONFLICT (family_id) DO NOTHING`,
    [familyId, now, reason],
  );
  if (added > 0) await appendEvent(tx, "family.revoked", familyId, now);
}

/** The refresh token store over `db`. */
export function refreshTokenStore(db: SqlDriver): RefreshTokenStore {
  return {
    async store(t, now) {
      await db.run(
        `INSERT INTO refresh_tokens
           (token_hash, family_id, username, created_at, expires_at, amr, passkey_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          t.hash,
          t.familyId,
          t.username,
          now,
          t.expiresAt,
          (t.amr ?? ["pwd"]).join(","),
          t.passkeyId ?? null,
        ],
      );
    },

    consume: (hash, now) =>
      db.transaction(async (tx): Promise<RotateResult> => {
        const row = await tx.get<{
          family_id: string;
          username: string;
          expires_at: number;
          used_at: number | null;
          amr: string;
          passkey_id: string | null;
        }>(
          `SELECT family_id, username, expires_at, used_at, amr, passkey_id FROM refresh_tokens
           WHERE token_hash = $1${forUpdate(db)}`,
          [hash],
        );
        if (!row) return { ok: false, reason: "unknown" };
        const revoked = await tx.get(
          "SELECT 1 AS one FROM revoked_families WHERE family_id = $1",
          [row.family_id],
        );
        if (revoked) return { ok: false, reason: "revoked", familyId: row.family_id };
        if (row.used_at !== null) {
          await revokeFamilyIn(tx, row.family_id, now, "reuse");
          return { ok: false, reason: "reused", familyId: row.family_id };
        }
        if (row.expires_at <= now) {
          return { ok: false, reason: "expired", familyId: row.family_id };
        }
        await tx.run("UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2", [now, hash]);
        return {
          ok: true,
          username: row.username,
          familyId: row.family_id,
          amr: row.amr.split(",").filter(Boolean),
          passkeyId: row.passkey_id ?? null,
        };
      }),

    async familyOf(hash) {
      const row = await db.get<{ family_id: string }>(
        "SELECT family_id FROM refresh_tokens WHERE token_hash = $1",
        [hash],
      );
      return row?.family_id ?? null;
    },

    revokeFamily: (familyId, now, reason) =>
      db.transaction((tx) => revokeFamilyIn(tx, familyId, now, reason)),

    revokeUserFamilies: (username, now) =>
      db.transaction(async (tx) => {
        const rows = await tx.all<{ family_id: string }>(
          "SELECT DISTINCT family_id FROM refresh_tokens WHERE username = $1",
          [username],
        );
        for (const r of rows) await revokeFamilyIn(tx, r.family_id, now, "user");
      }),

    revokePasskeyFamilies: (passkeyId, now) =>
      db.transaction(async (tx) => {
        const rows = await tx.all<{ family_id: string }>(
          "SELECT DISTINCT family_id FROM refresh_tokens WHERE passkey_id = $1",
          [passkeyId],
        );
        for (const r of rows) await revokeFamilyIn(tx, r.family_id, now, "passkey removed");
        return rows.map((r) => r.family_id);
      }),

    async isFamilyRevoked(familyId) {
      return await db.get("SELECT 1 AS one FROM revoked_families WHERE family_id = $1", [
        familyId,
      ]) !== undefined;
    },

    async familiesRevokedSince(since) {
      const rows = await db.all<{ family_id: string }>(
        "SELECT family_id FROM revoked_families WHERE revoked_at >= $1",
        [since],
      );
      return rows.map((r) => r.family_id);
    },
  };
}
