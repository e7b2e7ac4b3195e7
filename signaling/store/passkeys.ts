/**
 * Passkeys (the {@linkcode PasskeyStore} over SQL): WebAuthn credentials of
 * viewer accounts, and the single-use challenges of their ceremonies. A
 * challenge is taken with one `DELETE … RETURNING`, so two requests (on any
 * node) presenting the same flow cannot both get it.
 * @module
 */
import type { SqlDriver } from "./sql.ts";
import type { PasskeyRecord, PasskeyStore } from "./store.ts";

type Row = {
  id: string;
  username: string;
  public_key: string;
  counter: number;
  transports: string;
  created_at: number;
  last_used_at: number | null;
};

const COLS = "id, username, public_key, counter, transports, created_at, last_used_at";

const toRecord = (r: Row): PasskeyRecord => ({
  id: r.id,
  username: r.username,
  publicKey: r.public_key,
  counter: Number(r.counter),
  transports: JSON.parse(r.transports) as string[],
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});

/** The passkey store over `db`. */
export function passkeyStore(db: SqlDriver): PasskeyStore {
  return {
    async add(p, now) {
      const added = await db.run(
        `INSERT INTO passkeys (id, username, public_key, counter, transports, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [p.id, p.username, p.publicKey, p.counter, JSON.stringify(p.transports), now],
      );
      return added === 1;
    },

    async find(id) {
      const row = await db.get<Row>(`SELECT ${COLS} FROM passkeys WHERE id = $1`, [id]);
      return row ? toRecord(row) : null;
    },

    async list(username) {
      const rows = await db.all<Row>(
        `SELECT ${COLS} FROM passkeys WHERE username = $1`,
        [username],
      );
      return rows.map(toRecord).sort((a, b) => a.createdAt - b.createdAt);
    },

    async used(id, counter, now) {
      return await db.run(
        "UPDATE passkeys SET counter = $1, last_used_at = $2 WHERE id = $3",
        [counter, now, id],
      ) === 1;
    },

    async remove(username, id) {
      return await db.run("DELETE FROM passkeys WHERE id = $1 AND username = $2", [
        id,
        username,
      ]) === 1;
    },

    async putChallenge(c, now) {
      // Expired ones of earlier ceremonies go first (they cannot be used anyway).
      await db.run("DELETE FROM webauthn_challenges WHERE expires_at <= $1", [now]);
      await db.run(
        `INSERT INTO webauthn_challenges (id, challenge, kind, username, expires_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [c.id, c.challenge, c.kind, c.username, c.expiresAt],
      );
    },

    async takeChallenge(id, kind, now) {
      const row = await db.get<{ challenge: string; username: string | null; expires_at: number }>(
        `DELETE FROM webauthn_challenges WHERE id = $1 AND kind = $2
         RETURNING challenge, username, expires_at`,
        [id, kind],
      );
      if (!row || Number(row.expires_at) <= now) return null;
      return { challenge: row.challenge, username: row.username };
    },
  };
}
