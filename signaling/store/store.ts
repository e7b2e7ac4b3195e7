/**
 * The store: every persistent operation of the server and the operator
 * commands, behind one async interface. Nothing outside `signaling/store/`
 * writes SQL; callers use a {@linkcode Store} (`ctx.store`). The embedded
 * default is node:sqlite in the data directory (`sqlite.ts`); the same
 * schema, migrations and queries run on other SQL engines through
 * {@linkcode SqlDriver} (`sql.ts`), so the guarantees below hold for every
 * implementation:
 *
 * - a one-time enrollment token is consumed exactly once, even when many
 *   requests (in many processes) present it at the same moment;
 * - a refresh token rotates once; presenting a used one is reuse, and
 *   revokes its whole family (under a lock on the token's row);
 * - secrets are stored only as SHA-256 hashes (tokens) or password hashes;
 * - times are Unix milliseconds.
 *
 * @example
 * ```ts
 * const store = await openSqliteStore("./data/vigil.db");
 * await store.devices.addWithToken({ id: "door", label: "Door" }, { hash, expiresAt }, Date.now());
 * const r = await store.devices.consumeToken(hash, Date.now()); // { deviceId: "door" }
 * await store.close();
 * ```
 * @module
 */

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

/** An account's role: `admin` may also use the console and `/api/admin/…`. */
export type Role = "viewer" | "admin";

/** A viewer account. */
export interface UserRecord {
  name: string;
  passwordHash: string;
  /** The cameras the viewer may watch (`["*"]` for all). */
  cameras: string[];
  /** The cameras whose recordings the viewer may watch (`["*"]`: all, `[]`: none). */
  recordings: string[];
  role: Role;
  createdAt: number;
  updatedAt: number;
}

/** Outcome of presenting a refresh token. */
export type RotateResult =
  | {
    ok: true;
    username: string;
    familyId: string;
    amr: string[];
    /** The passkey the family's login used, or null (a password login). */
    passkeyId: string | null;
  }
  | { ok: false; reason: "unknown" | "expired" | "reused" | "revoked"; familyId?: string };

/** A JWT signing key's public half and life. */
export interface JwtKeyRecord {
  kid: string;
  /** The public JWK as JSON text (with kid, alg, use). */
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

/** Devices, their one-time enrollment tokens and their certificates. */
export interface DeviceStore {
  /**
   * Creates the device if needed (clearing an earlier revocation) and stores
   * a token hash; a new token supersedes an earlier unused one.
   */
  addWithToken(
    device: { id: string; label: string },
    token: { hash: string; expiresAt: number },
    now: number,
  ): Promise<void>;
  /**
   * Consumes a token atomically (exactly once). Returns the device bound to
   * it, or why it was refused; a refused token changes nothing.
   */
  consumeToken(tokenHash: string, now: number): Promise<
    { deviceId: string } | {
      refused: TokenRefusal;
    }
  >;
  /** Gives a consumed token back when issuing the certificate failed afterwards. */
  releaseToken(tokenHash: string): Promise<void>;
  /** Records a newly issued certificate. */
  recordCertificate(cert: Omit<CertificateRecord, "revokedAt">): Promise<void>;
  /** Whether a device exists and is not revoked. */
  isActive(id: string): Promise<boolean>;
  /** Whether a device id is known (enrolled or not, revoked or not). */
  exists(id: string): Promise<boolean>;
  /** Revokes a device and every certificate it holds; returns the revoked serials. Throws for an unknown device. */
  revoke(id: string, now: number, reason: string): Promise<string[]>;
  /** Every revoked certificate (for the CRL and the connection-time deny-list). */
  revokedCertificates(): Promise<{ serial: string; revokedAt: number }[]>;
  /** All devices with their certificate and token state, by id. */
  list(): Promise<DeviceRecord[]>;
}

/** What `user:set` may change: each field present is replaced. */
export interface UserGrants {
  /** Camera ids the viewer may watch (`["*"]`: all). */
  cameras?: string[];
  /** Camera ids whose recordings the viewer may watch (`["*"]`: all, `[]`: none). */
  recordings?: string[];
  /** `true`: role admin; `false`: role viewer (`--admin` / `--no-admin`). */
  admin?: boolean;
}

/** Viewer accounts. */
export interface UserStore {
  /** Creates a user; throws `user "x" already exists` if the name is taken. */
  create(
    user: {
      name: string;
      passwordHash: string;
      cameras: string[];
      recordings?: string[];
      role?: Role;
    },
    now: number,
  ): Promise<void>;
  /** A user by name, or null. */
  find(name: string): Promise<UserRecord | null>;
  /** All users, by name, without their password hashes. */
  list(): Promise<Omit<UserRecord, "passwordHash">[]>;
  /** Replaces a user's password hash; false for an unknown user. */
  setPassword(name: string, hash: string, now: number): Promise<boolean>;
  /**
   * Changes a user's grants (only the fields given; `user:set`); false for an
   * unknown user.
   */
  setGrants(name: string, grants: UserGrants, now: number): Promise<boolean>;
  /** Removes a user (and their refresh tokens); false for an unknown user. */
  remove(name: string): Promise<boolean>;
}

/**
 * Rotating refresh tokens in families: each login starts a family, each
 * refresh consumes the presented token and the caller stores its successor.
 */
export interface RefreshTokenStore {
  /** Stores a new refresh token hash in a family. */
  store(
    t: {
      hash: string;
      familyId: string;
      username: string;
      expiresAt: number;
      /** How the family's login was made (RFC 8176; default `["pwd"]`). */
      amr?: string[];
      /** The passkey of the family's login (a passkey login). */
      passkeyId?: string | null;
    },
    now: number,
  ): Promise<void>;
  /**
   * Consumes a refresh token: ok once; an already used one is reuse and
   * revokes its family.
   */
  consume(hash: string, now: number): Promise<RotateResult>;
  /** The family of a token (logout), or null. */
  familyOf(hash: string): Promise<string | null>;
  /** Revokes a family (logout, reuse); idempotent. */
  revokeFamily(familyId: string, now: number, reason: string): Promise<void>;
  /** Revokes every family of a user (password change, removal). */
  revokeUserFamilies(username: string, now: number): Promise<void>;
  /** Revokes the families logged in with a passkey (it was removed); returns them. */
  revokePasskeyFamilies(passkeyId: string, now: number): Promise<string[]>;
  /** Whether a family was revoked (access tokens carry their family in `sid`). */
  isFamilyRevoked(familyId: string): Promise<boolean>;
  /** Families revoked at or after `since` (to end their live sessions). */
  familiesRevokedSince(since: number): Promise<string[]>;
}

/** The JWT signing keys' public halves and lives (the private halves are elsewhere). */
export interface JwtKeyStore {
  /** Keys not retired, or retired after `retiredAfter`, oldest first. */
  list(retiredAfter: number): Promise<JwtKeyRecord[]>;
  /** Retires every current key and adds `kid` as the current one, atomically. */
  rotate(key: { kid: string; publicJwk: string }, now: number): Promise<void>;
}

/**
 * What a cluster event announces (migration 3). Nodes act on them: end the
 * device's channel, the family's sessions, the user's streams, reload keys.
 */
export type ClusterEventKind =
  | "device.revoked"
  | "family.revoked"
  | "user.removed"
  | "user.scope"
  | "keys.rotated";

/** One entry of the durable cluster event log. */
export interface ClusterEvent {
  seq: number;
  kind: ClusterEventKind;
  /** The device id, family id, user name or key id. */
  subject: string;
  at: number;
}

/** The cluster event log: what every node must act on, in commit order. */
export interface ClusterEventStore {
  /** Appends an event (for changes made outside the store's own methods); its number. */
  append(kind: ClusterEventKind, subject: string, now: number): Promise<number>;
  /** Events numbered after `seq`, oldest first, at most `limit` (default 1000). */
  after(seq: number, limit?: number): Promise<ClusterEvent[]>;
  /** The newest event's number (0: none yet). */
  last(): Promise<number>;
}

/** Key material sealed under the key-encryption key (the store never sees it in the clear). */
export interface SealedKeyStore {
  /** The sealed value of `name`, or null. */
  get(name: string): Promise<string | null>;
  /** Stores `sealed` unless `name` exists; resolves with the stored value (the first writer's). */
  putIfAbsent(name: string, sealed: string, now: number): Promise<string>;
  /** Deletes these entries (retired keys' private halves); unknown names are skipped. */
  remove(names: readonly string[]): Promise<void>;
}

/** A recorded segment of a camera, stored complete and hash-checked. */
export interface RecordingRecord {
  camera: string;
  /** The publisher's segment id (`seg-<run>-<index>`), unique per camera. */
  segment: string;
  startMs: number;
  endMs: number;
  bytes: number;
  /** SHA-256 of the file, hex. */
  sha256: string;
  storedAt: number;
}

/** What one camera's recordings take: segments, bytes, first start and last end (Unix ms). */
export interface RecordingUsage {
  camera: string;
  segments: number;
  bytes: number;
  fromMs: number;
  toMs: number;
}

/** The index of the recordings (the files are in the data dir). */
export interface RecordingStore {
  /** Indexes a stored segment; false if (camera, segment) is already indexed. */
  add(r: RecordingRecord): Promise<boolean>;
  /** One segment, or null. */
  find(camera: string, segment: string): Promise<RecordingRecord | null>;
  /** The segments of a camera overlapping [fromMs, toMs), by start. */
  list(camera: string, fromMs: number, toMs: number): Promise<RecordingRecord[]>;
  /** The oldest segments of every camera (by start), at most `limit`. */
  oldest(limit: number): Promise<RecordingRecord[]>;
  /** Bytes of every indexed segment. */
  totalBytes(): Promise<number>;
  /** Per camera with any: segments, bytes and the span they cover, by camera id. */
  perCamera(): Promise<RecordingUsage[]>;
  /** Removes a segment from the index; false if it was not there. */
  remove(camera: string, segment: string): Promise<boolean>;
}

/** A WebAuthn credential of an account (ids and key base64url). */
export interface PasskeyRecord {
  id: string;
  username: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter as last seen (0: it keeps none). */
  counter: number;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

/** Passkeys and the single-use challenges of their ceremonies. */
export interface PasskeyStore {
  /** Adds a credential; false if its id is already registered (to anyone). */
  add(
    p: { id: string; username: string; publicKey: string; counter: number; transports: string[] },
    now: number,
  ): Promise<boolean>;
  /** A credential by id, or null. */
  find(id: string): Promise<PasskeyRecord | null>;
  /** A user's credentials, oldest first. */
  list(username: string): Promise<PasskeyRecord[]>;
  /** Records a login: the new counter and the time; false for an unknown id. */
  used(id: string, counter: number, now: number): Promise<boolean>;
  /** Removes one of `username`'s credentials; false if they have no such one. */
  remove(username: string, id: string): Promise<boolean>;
  /** Stores a ceremony's challenge (and drops expired ones). */
  putChallenge(
    c: {
      id: string;
      challenge: string;
      kind: "register" | "login";
      username: string | null;
      expiresAt: number;
    },
    now: number,
  ): Promise<void>;
  /** Takes a challenge exactly once; null when unknown, used, of another kind or expired. */
  takeChallenge(
    id: string,
    kind: "register" | "login",
    now: number,
  ): Promise<{ challenge: string; username: string | null } | null>;
}

/** The store. */
export interface Store {
  /** What is behind it, for logs and health checks. */
  readonly kind: "sqlite" | "postgres";
  readonly devices: DeviceStore;
  readonly users: UserStore;
  readonly passkeys: PasskeyStore;
  readonly recordings: RecordingStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly jwtKeys: JwtKeyStore;
  readonly events: ClusterEventStore;
  readonly sealedKeys: SealedKeyStore;
  /**
   * A value that changes when another process (an operator command) or
   * node committed a change; cheap enough to poll several times a second.
   */
  changeMarker(): Promise<number>;
  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
