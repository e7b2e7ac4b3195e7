/**
 * Schema migrations, applied in order by `migrate.ts`; never change what a
 * released entry does, append. The same text runs on SQLite and PostgreSQL:
 * only types and statements both engines read alike (TEXT; BIGINT for Unix
 * milliseconds, which PostgreSQL's INTEGER cannot hold; plain indexes and
 * foreign keys). Secrets are stored only as SHA-256 hashes.
 *
 * Entries 1 and 2 were first released with `INTEGER` where they now say
 * `BIGINT`: in SQLite both name the same INTEGER affinity (any type name
 * containing "INT"), so databases made from either text behave alike.
 * @module
 */
export const MIGRATIONS: readonly string[] = [
  // 1: devices, enrollment tokens, issued certificates, JWT key metadata.
  `
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
  );
  CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  CREATE TABLE certificates (
    serial TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    fingerprint256 TEXT NOT NULL,
    x5t_s256 TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoke_reason TEXT
  );
  CREATE INDEX certificates_device ON certificates(device_id);
  CREATE TABLE jwt_keys (
    kid TEXT PRIMARY KEY,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
  );
  `,
  // 2: viewer accounts and rotating refresh tokens (families for reuse detection).
  `
  CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    cameras TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  );
  CREATE INDEX refresh_family ON refresh_tokens(family_id);
  CREATE TABLE revoked_families (
    family_id TEXT PRIMARY KEY,
    revoked_at BIGINT NOT NULL,
    reason TEXT NOT NULL
  );
  `,
  // 3: the cluster: a durable log of events every node must act on (revocations,
  // removals, key rotation), numbered by a counter row (UPDATE … RETURNING takes
  // the row lock, so numbers follow commit order on every engine), and key
  // material sealed under the nodes' key-encryption key.
  `
  CREATE TABLE cluster_seq (id BIGINT PRIMARY KEY, n BIGINT NOT NULL);
  INSERT INTO cluster_seq (id, n) VALUES (1, 0);
  CREATE TABLE cluster_events (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
  );
  CREATE TABLE sealed_keys (
    name TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  `,
  // 4: recordings copied off the cameras (the files live in <data dir>/recordings;
  // a row exists only for a complete, hash-checked file), and the cameras whose
  // recordings a viewer may watch, apart from live ("[]": none).
  `
  CREATE TABLE recordings (
    camera TEXT NOT NULL,
    segment TEXT NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    stored_at BIGINT NOT NULL,
    PRIMARY KEY (camera, segment)
  );
  CREATE INDEX recordings_camera_start ON recordings(camera, start_ms);
  CREATE INDEX recordings_start ON recordings(start_ms);
  ALTER TABLE users ADD COLUMN recordings TEXT NOT NULL DEFAULT '[]';
  `,
  // 5: operator roles (an account with role 'admin' may use the console and
  // /api/admin), and how each login was made (RFC 8176 amr values, comma
  // separated), so a refreshed access token says what the login said.
  `
  ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';
  ALTER TABLE refresh_tokens ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
  `,
  // 6: passkeys (WebAuthn credentials: id and public key base64url, the
  // signature counter, transports as JSON) and the single-use challenges of
  // their ceremonies (kept here so any node can finish a ceremony; deleted
  // when used, refused after expiry).
  `
  CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    public_key TEXT NOT NULL,
    counter BIGINT NOT NULL,
    transports TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
  );
  CREATE INDEX passkeys_user ON passkeys(username);
  CREATE TABLE webauthn_challenges (
    id TEXT PRIMARY KEY,
    challenge TEXT NOT NULL,
    kind TEXT NOT NULL,
    username TEXT,
    expires_at BIGINT NOT NULL
  );
  `,
  // 7: the passkey a login family was started with, so that removing the
  // passkey ends those sessions (a lost or stolen authenticator is cut off).
  `
  ALTER TABLE refresh_tokens ADD COLUMN passkey_id TEXT;
  CREATE INDEX refresh_tokens_passkey ON refresh_tokens(passkey_id);
  `,
];
