/**
 * Rotating refresh tokens. Each login starts a family; each refresh consumes
 * the presented token and issues the next one in the same family. Presenting
 * an already-used token is reuse (a stolen copy): the whole family is revoked.
 * @module
 */
import type { Database } from "./db.ts";
import { transaction } from "./db.ts";

/** Outcome of presenting a refresh token. */
export type RotateResult =
  | { ok: true; username: string; familyId: string }
  | { ok: false; reason: "unknown" | "expired" | "reused" | "revoked"; familyId?: string };

/** Stores a new refresh token hash in a family. */
export function storeRefreshToken(
  db: Database,
  t: { hash: string; familyId: string; username: string; expiresAt: number },
  now: number,
): void {
  db.prepare(
    "INSERT INTO refresh_tokens (token_hash, family_id, username, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
  ).run(t.hash, t.familyId, t.username, now, t.expiresAt);
}

/**
 * Consumes a refresh token. The caller stores the successor with
 * {@linkcode storeRefreshToken} when this returns ok.
 */
export function consumeRefreshToken(db: Database, hash: string, now: number): RotateResult {
  return transaction(db, () => {
    const row = db.prepare(
      `SELECT r.family_id, r.username, r.expires_at, r.used_at,
         (SELECT 1 FROM revoked_families f WHERE f.family_id = r.family_id) AS revoked
       FROM refresh_tokens r WHERE r.token_hash = ?`,
    ).get(hash) as
      | {
        family_id: string;
        username: string;
        expires_at: number;
        used_at: number | null;
        revoked: number | null;
      }
      | undefined;
    if (!row) return { ok: false, reason: "unknown" } as const;
    if (row.revoked) return { ok: false, reason: "revoked", familyId: row.family_id } as const;
    if (row.used_at !== null) {
      revokeFamilyInTx(db, row.family_id, now, "reuse");
      return { ok: false, reason: "reused", familyId: row.family_id } as const;
    }
    if (row.expires_at <= now) {
      return { ok: false, reason: "expired", familyId: row.family_id } as const;
    }
    db.prepare("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?").run(now, hash);
    return { ok: true, username: row.username, familyId: row.family_id } as const;
  });
}

/** Revokes a family (logout, reuse, user removal). */
export function revokeFamily(db: Database, familyId: string, now: number, reason: string): void {
  transaction(db, () => revokeFamilyInTx(db, familyId, now, reason));
}

/** Revokes every family of a user (password change, removal). */
export function revokeUserFamilies(db: Database, username: string, now: number): void {
  transaction(db, () => {
    const rows = db.prepare("SELECT DISTINCT family_id FROM refresh_tokens WHERE username = ?")
      .all(username) as { family_id: string }[];
    for (const r of rows) revokeFamilyInTx(db, r.family_id, now, "user");
  });
}

/** Whether a family was revoked (access tokens carry their family id in `sid`). */
export function isFamilyRevoked(db: Database, familyId: string): boolean {
  return db.prepare("SELECT 1 FROM revoked_families WHERE family_id = ?").get(familyId) !==
    undefined;
}

/** Family ids a user has (for the family lookup of a refresh token at logout). */
export function familyOf(db: Database, hash: string): string | null {
  const row = db.prepare("SELECT family_id FROM refresh_tokens WHERE token_hash = ?").get(hash) as
    | { family_id: string }
    | undefined;
  return row?.family_id ?? null;
}

function revokeFamilyInTx(db: Database, familyId: string, now: number, reason: string): void {
  db.prepare(
    "INSERT OR IGNORE INTO revoked_families (family_id, revoked_at, reason) VALUES (?, ?, ?)",
  ).run(familyId, now, reason);
}

/** Families revoked at or after `since` (for ending their live sessions). */
export function familiesRevokedSince(db: Database, since: number): string[] {
  const rows = db.prepare("SELECT family_id FROM revoked_families WHERE revoked_at >= ?").all(
    since,
  ) as { family_id: string }[];
  return rows.map((r) => r.family_id);
}
