/**
 * Schema migrations, applied in order; never edit a released entry, append.
 * Times are Unix milliseconds. Secrets are stored only as SHA-256 hashes.
 * @module
 */
export const MIGRATIONS: readonly string[] = [
  // 1: devices, enrollment tokens, issued certificates, JWT key metadata.
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE TABLE certificates (
    serial TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    fingerprint256 TEXT NOT NULL,
    x5t_s256 TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoke_reason TEXT
  );
  CREATE INDEX certificates_device ON certificates(device_id);
  CREATE TABLE jwt_keys (
    kid TEXT PRIMARY KEY,
    public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
  );
  `,
  // 2: viewer accounts and rotating refresh tokens (families for reuse detection).
  `
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    cameras TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE INDEX refresh_family ON refresh_tokens(family_id);
  CREATE TABLE revoked_families (
    family_id TEXT PRIMARY KEY,
    revoked_at INTEGER NOT NULL,
    reason TEXT NOT NULL
  );
  `,
];
