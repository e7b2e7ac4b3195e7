/**
 * Devices, their one-time enrollment tokens and the certificates issued to
 * them (the {@linkcode DeviceStore} over SQL). Enrollment tokens are stored
 * only as SHA-256 hashes; a token is consumed by one atomic
 * `UPDATE … WHERE used_at IS NULL … RETURNING`, so it works exactly once even
 * under concurrent use from several processes or nodes: the engine lets one
 * update change the row, and every other one finds `used_at` set.
 * @module
 */
import { appendEvent } from "./cluster.ts";
import type { SqlDriver } from "./sql.ts";
import type { DeviceRecord, DeviceStore } from "./store.ts";

/** The device store over `db`. */
export function deviceStore(db: SqlDriver): DeviceStore {
  return {
    addWithToken: (device, token, now) =>
      db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO devices (id, label, created_at) VALUES ($1, $2, $3)
           ON CONFLICT(id) DO UPDATE SET revoked_at = NULL,
             label = CASE WHEN excluded.label <> '' THEN excluded.label ELSE devices.label END`,
          [device.id, device.label, now],
        );
        // A new token supersedes any earlier unused one for the same device.
        await tx.run("DELETE FROM enrollment_tokens WHERE device_id = $1 AND used_at IS NULL", [
          device.id,
        ]);
        await tx.run(
          `INSERT INTO enrollment_tokens (token_hash, device_id, created_at, expires_at)
           VALUES ($1, $2, $3, $4)`,
          [token.hash, device.id, now, token.expiresAt],
        );
      }),

    async consumeToken(tokenHash, now) {
      const row = await db.get<{ device_id: string }>(
        `UPDATE enrollment_tokens SET used_at = $1
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
           AND device_id IN (SELECT id FROM devices WHERE revoked_at IS NULL)
         RETURNING device_id`,
        [now, tokenHash],
      );
      if (row) return { deviceId: row.device_id };
      const found = await db.get<
        { used_at: number | null; expires_at: number; revoked_at: number | null }
      >(
        `SELECT t.used_at, t.expires_at, d.revoked_at FROM enrollment_tokens t
         JOIN devices d ON d.id = t.device_id WHERE t.token_hash = $1`,
        [tokenHash],
      );
      if (!found) return { refused: "unknown" };
      if (found.used_at !== null) return { refused: "used" };
      if (found.revoked_at !== null) return { refused: "device_revoked" };
      return { refused: "expired" };
    },

    async releaseToken(tokenHash) {
      await db.run("UPDATE enrollment_tokens SET used_at = NULL WHERE token_hash = $1", [
        tokenHash,
      ]);
    },

    async recordCertificate(cert) {
      await db.run(
        `INSERT INTO certificates
           (serial, device_id, fingerprint256, x5t_s256, not_before, not_after, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          cert.serial,
          cert.deviceId,
          cert.fingerprint256,
          cert.x5tS256,
          cert.notBefore,
          cert.notAfter,
          cert.issuedAt,
        ],
      );
    },

    async isActive(id) {
      const row = await db.get<{ revoked_at: number | null }>(
        "SELECT revoked_at FROM devices WHERE id = $1",
        [id],
      );
      return row !== undefined && row.revoked_at === null;
    },

    async exists(id) {
      return await db.get("SELECT 1 AS one FROM devices WHERE id = $1", [id]) !== undefined;
    },

    revoke: (id, now, reason) =>
      db.transaction(async (tx) => {
        const dev = await tx.get("UPDATE devices SET revoked_at = $1 WHERE id = $2 RETURNING id", [
          now,
          id,
        ]);
        if (!dev) throw new Error(`unknown device "${id}"`);
        await tx.run("DELETE FROM enrollment_tokens WHERE device_id = $1 AND used_at IS NULL", [
          id,
        ]);
        const rows = await tx.all<{ serial: string }>(
          `UPDATE certificates SET revoked_at = $1, revoke_reason = $2
           WHERE device_id = $3 AND revoked_at IS NULL RETURNING serial`,
          [now, reason, id],
        );
        if (rows.length > 0) await appendEvent(tx, "device.revoked", id, now);
        return rows.map((r) => r.serial);
      }),

    async revokedCertificates() {
      const rows = await db.all<{ serial: string; revoked_at: number }>(
        "SELECT serial, revoked_at FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at",
      );
      return rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at }));
    },

    async list() {
      const rows = await db.all<{
        id: string;
        label: string;
        created_at: number;
        revoked_at: number | null;
        cert_not_after: number | null;
        token_expires: number | null;
      }>(
        `SELECT d.id, d.label, d.created_at, d.revoked_at,
           (SELECT max(not_after) FROM certificates c
             WHERE c.device_id = d.id AND c.revoked_at IS NULL) AS cert_not_after,
           (SELECT max(expires_at) FROM enrollment_tokens t
             WHERE t.device_id = d.id AND t.used_at IS NULL) AS token_expires
         FROM devices d`,
      );
      // Sorted here: engines' collations differ (SQLite: bytes; PostgreSQL: the locale).
      rows.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      return rows.map((r): DeviceRecord => ({
        id: r.id,
        label: r.label,
        createdAt: r.created_at,
        revokedAt: r.revoked_at,
        certNotAfter: r.cert_not_after,
        pendingTokenExpiresAt: r.token_expires,
      }));
    },
  };
}
