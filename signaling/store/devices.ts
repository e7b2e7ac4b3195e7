/**
 * Devices, their one-time enrollment tokens and the certificates issued to
 * them. Enrollment tokens are stored only as SHA-256 hashes; a token is
 * consumed by one atomic `UPDATE … RETURNING`, so it works exactly once even
 * under concurrent use from several processes.
 * @module
 */
import type { Database } from "./db.ts";
import { transaction } from "./db.ts";

/** One device as shown by `device:list`. */
export interface DeviceRecord {
  id: string;
  label: string;
  createdAt: number;
  revokedAt: number | null;
  /** Expiry of the newest unrevoked certificate, if any. */
  certNotAfter: number | null;
  /** Expiry of the newest unused enrollment token, if any. */
  pendingTokenExpiresAt: number | null;
}

/** A certificate issued to a device. */
export interface CertificateRecord {
  serial: string;
  deviceId: string;
  fingerprint256: string;
  x5tS256: string;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
  revokedAt: number | null;
}

/** Why an enrollment token was refused. */
export type TokenRefusal = "unknown" | "expired" | "used" | "device_revoked";

/** Creates the device if needed (clearing an earlier revocation) and stores a token hash. */
export function addDeviceWithToken(
  db: Database,
  device: { id: string; label: string },
  token: { hash: string; expiresAt: number },
  now: number,
): void {
  transaction(db, () => {
    db.prepare(
      `INSERT INTO devices (id, label, created_at) VALUES (?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET revoked_at = NULL,
         label = CASE WHEN excluded.label <> '' THEN excluded.label ELSE devices.label END`,
    ).run(device.id, device.label, now);
    // A new token supersedes any earlier unused one for the same device.
    db.prepare("DELETE FROM enrollment_tokens WHERE device_id = ? AND used_at IS NULL").run(
      device.id,
    );
    db.prepare(
      "INSERT INTO enrollment_tokens (token_hash, device_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
    ).run(token.hash, device.id, now, token.expiresAt);
  });
}

/**
 * Consumes a token atomically. Returns the device id bound to it, or why it
 * was refused; a refused token changes nothing.
 */
export function consumeEnrollmentToken(
  db: Database,
  tokenHash: string,
  now: number,
): { deviceId: string } | { refused: TokenRefusal } {
  const row = db.prepare(
    `UPDATE enrollment_tokens SET used_at = ?
     WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
       AND device_id IN (SELECT id FROM devices WHERE revoked_at IS NULL)
     RETURNING device_id`,
  ).get(now, tokenHash, now) as { device_id: string } | undefined;
  if (row) return { deviceId: row.device_id };
  const found = db.prepare(
    `SELECT t.used_at, t.expires_at, d.revoked_at FROM enrollment_tokens t
     JOIN devices d ON d.id = t.device_id WHERE t.token_hash = ?`,
  ).get(tokenHash) as
    | { used_at: number | null; expires_at: number; revoked_at: number | null }
    | undefined;
  if (!found) return { refused: "unknown" };
  if (found.used_at !== null) return { refused: "used" };
  if (found.revoked_at !== null) return { refused: "device_revoked" };
  return { refused: "expired" };
}

/** Gives a consumed token back when issuing the certificate failed afterwards. */
export function releaseEnrollmentToken(db: Database, tokenHash: string): void {
  db.prepare("UPDATE enrollment_tokens SET used_at = NULL WHERE token_hash = ?").run(tokenHash);
}

/** Records a newly issued certificate. */
export function recordCertificate(db: Database, cert: Omit<CertificateRecord, "revokedAt">): void {
  db.prepare(
    `INSERT INTO certificates (serial, device_id, fingerprint256, x5t_s256, not_before, not_after, issued_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    cert.serial,
    cert.deviceId,
    cert.fingerprint256,
    cert.x5tS256,
    cert.notBefore,
    cert.notAfter,
    cert.issuedAt,
  );
}

/** Whether a device exists and is not revoked. */
export function isDeviceActive(db: Database, id: string): boolean {
  const row = db.prepare("SELECT revoked_at FROM devices WHERE id = ?").get(id) as
    | { revoked_at: number | null }
    | undefined;
  return row !== undefined && row.revoked_at === null;
}

/** Whether a device id is known (enrolled or not). */
export function deviceExists(db: Database, id: string): boolean {
  return db.prepare("SELECT 1 FROM devices WHERE id = ?").get(id) !== undefined;
}

/** Revokes a device and every certificate it holds; returns the revoked serials. */
export function revokeDevice(db: Database, id: string, now: number, reason: string): string[] {
  return transaction(db, () => {
    const dev = db.prepare("UPDATE devices SET revoked_at = ? WHERE id = ? RETURNING id").get(
      now,
      id,
    );
    if (!dev) throw new Error(`unknown device "${id}"`);
    db.prepare("DELETE FROM enrollment_tokens WHERE device_id = ? AND used_at IS NULL").run(id);
    const rows = db.prepare(
      `UPDATE certificates SET revoked_at = ?, revoke_reason = ?
       WHERE device_id = ? AND revoked_at IS NULL RETURNING serial`,
    ).all(now, reason, id) as { serial: string }[];
    return rows.map((r) => r.serial);
  });
}

/** Every revoked certificate (for the CRL and the connection-time deny-list). */
export function revokedCertificates(db: Database): { serial: string; revokedAt: number }[] {
  const rows = db.prepare(
    "SELECT serial, revoked_at FROM certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at",
  ).all() as { serial: string; revoked_at: number }[];
  return rows.map((r) => ({ serial: r.serial, revokedAt: r.revoked_at }));
}

/** All devices with their certificate and token state. */
export function listDevices(db: Database): DeviceRecord[] {
  const rows = db.prepare(
    `SELECT d.id, d.label, d.created_at, d.revoked_at,
       (SELECT max(not_after) FROM certificates c WHERE c.device_id = d.id AND c.revoked_at IS NULL) AS cert_not_after,
       (SELECT max(expires_at) FROM enrollment_tokens t WHERE t.device_id = d.id AND t.used_at IS NULL) AS token_expires
     FROM devices d ORDER BY d.id`,
  ).all() as Record<string, number | string | null>[];
  return rows.map((r) => ({
    id: r.id as string,
    label: r.label as string,
    createdAt: r.created_at as number,
    revokedAt: r.revoked_at as number | null,
    certNotAfter: r.cert_not_after as number | null,
    pendingTokenExpiresAt: r.token_expires as number | null,
  }));
}
