/**
 * Access tokens (viewers) and device tokens (publishers): EdDSA JWTs with a
 * pinned algorithm, issuer, audience, `typ` and required claims. A device
 * token is bound to its client certificate (RFC 8705 `cnf.x5t#S256`).
 *
 * @example
 * ```ts
 * const token = await signAccessToken(ring, { issuer, sub: "alice", cams: ["cam1"], sid });
 * const claims = await verifyAccessToken(ring, token, issuer);
 * ```
 * @module
 */
import * as jose from "jose";
import { timingSafeEqual } from "node:crypto";
import type { KeyRing } from "./jwt_keys.ts";
import { MAX_TOKEN_TTL_MS } from "./jwt_keys.ts";

export const ACCESS_AUDIENCE = "vigil-viewer";
export const DEVICE_AUDIENCE = "vigil-device";
export const ACCESS_TYP = "vigil-access+jwt";
export const DEVICE_TYP = "vigil-device+jwt";
/** Longer tokens are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;
const CLOCK_TOLERANCE_S = 5;

/** Why a token was refused; safe to log (never contains the token). */
export class TokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
  }
}

/** A viewer's role in its access token (`admin`: console and `/api/admin/…`). */
export type AccessRole = "viewer" | "admin";

/**
 * How the login was made (RFC 8176 §2 values): `pwd` a password; `hwk` +
 * `user` a passkey (a key held by an authenticator, the user present), plus
 * `mfa` when the authenticator also verified the user (its PIN or
 * biometrics: the key and the user, two factors).
 */
export type AuthMethod = "pwd" | "hwk" | "user" | "pin" | "mfa";

/** Claims of a verified viewer access token. */
export interface AccessClaims {
  sub: string;
  cams: string[];
  sid: string;
  jti: string;
  exp: number;
  /** Absent in tokens of servers before roles: read as `viewer`. */
  role?: AccessRole;
  /** Authentication methods of the login (RFC 8176); absent before roles: `["pwd"]`. */
  amr?: AuthMethod[];
}

/** Claims of a verified device token. */
export interface DeviceClaims {
  sub: string;
  role: "publisher";
  jti: string;
  exp: number;
  cnf: { "x5t#S256": string };
}

function sign(
  ring: KeyRing,
  typ: string,
  claims: jose.JWTPayload,
  opts: { issuer: string; audience: string; subject: string; ttlMs: number },
) {
  const ttl = Math.min(opts.ttlMs, MAX_TOKEN_TTL_MS);
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", typ, kid: ring.current.kid })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setSubject(opts.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.floor(ttl / 1000))
    .setJti(crypto.randomUUID())
    .sign(ring.current.privateKey);
}

/** Signs a viewer access token (≤ 5 min). */
export function signAccessToken(
  ring: KeyRing,
  a: {
    issuer: string;
    sub: string;
    cams: string[];
    sid: string;
    ttlMs?: number;
    role?: AccessRole;
    amr?: AuthMethod[];
  },
): Promise<string> {
  const claims = { cams: a.cams, sid: a.sid, role: a.role ?? "viewer", amr: a.amr ?? ["pwd"] };
  return sign(ring, ACCESS_TYP, claims, {
    issuer: a.issuer,
    audience: ACCESS_AUDIENCE,
    subject: a.sub,
    ttlMs: a.ttlMs ?? MAX_TOKEN_TTL_MS,
  });
}

/** Signs a device token bound to the certificate thumbprint `x5t`. */
export function signDeviceToken(
  ring: KeyRing,
  a: { issuer: string; sub: string; x5t: string; ttlMs?: number },
): Promise<string> {
  return sign(ring, DEVICE_TYP, { role: "publisher", cnf: { "x5t#S256": a.x5t } }, {
    issuer: a.issuer,
    audience: DEVICE_AUDIENCE,
    subject: a.sub,
    ttlMs: a.ttlMs ?? MAX_TOKEN_TTL_MS,
  });
}

async function verify(
  ring: KeyRing,
  token: string,
  opts: { issuer: string; audience: string; typ: string; required: string[] },
): Promise<jose.JWTPayload> {
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError("too long");
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw new TokenError("malformed");
  }
  try {
    const { payload } = await jose.jwtVerify(
      token,
      (header) => {
        // Only our own keys by kid: never a key named by the token itself.
        if (header.jwk || header.jku || header.x5u || header.x5c) {
          throw new TokenError("key in header");
        }
        const key = typeof header.kid === "string" ? ring.publicKeys.get(header.kid) : undefined;
        if (!key) throw new TokenError("unknown kid");
        const until = ring.verifyUntil?.get(header.kid as string);
        if (until !== undefined && Date.now() > until) throw new TokenError("signing key retired");
        return key;
      },
      {
        algorithms: ["EdDSA"],
        issuer: opts.issuer,
        audience: opts.audience,
        typ: opts.typ,
        requiredClaims: ["iat", "exp", "jti", "sub", ...opts.required],
        clockTolerance: CLOCK_TOLERANCE_S,
        maxTokenAge: `${MAX_TOKEN_TTL_MS / 1000 + CLOCK_TOLERANCE_S}s`,
      },
    );
    const { iat, exp } = payload as { iat: number; exp: number };
    const nowS = Date.now() / 1000;
    if (iat > nowS + CLOCK_TOLERANCE_S) throw new TokenError("issued in the future");
    if (exp - iat > MAX_TOKEN_TTL_MS / 1000) throw new TokenError("lifetime too long");
    return payload;
  } catch (err) {
    if (err instanceof TokenError) throw err;
    throw new TokenError(reasonOf(err));
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof jose.errors.JWTExpired) return "expired";
  if (err instanceof jose.errors.JWTClaimValidationFailed) {
    return `claim ${err.claim} ${err.reason}`;
  }
  if (err instanceof jose.errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (err instanceof jose.errors.JWSSignatureVerificationFailed) return "bad signature";
  if (err instanceof jose.errors.JOSENotSupported) return "unsupported header";
  if (err instanceof jose.errors.JWSInvalid || err instanceof jose.errors.JWTInvalid) {
    return "malformed";
  }
  return "rejected";
}

const AMR = new Set<unknown>(["pwd", "hwk", "user", "pin", "mfa"]);

/** Whether `m` is an authentication method vigil issues. */
export function isAuthMethod(m: unknown): m is AuthMethod {
  return AMR.has(m);
}

/** Verifies a viewer access token. */
export async function verifyAccessToken(
  ring: KeyRing,
  token: string,
  issuer: string,
): Promise<AccessClaims> {
  const p = await verify(ring, token, {
    issuer,
    audience: ACCESS_AUDIENCE,
    typ: ACCESS_TYP,
    required: ["cams", "sid"],
  });
  if (!Array.isArray(p.cams) || !p.cams.every((c) => typeof c === "string")) {
    throw new TokenError("bad cams claim");
  }
  if (typeof p.sid !== "string") throw new TokenError("bad sid claim");
  if (p.role !== undefined && p.role !== "viewer" && p.role !== "admin") {
    throw new TokenError("bad role claim");
  }
  if (
    p.amr !== undefined &&
    (!Array.isArray(p.amr) || p.amr.length > 8 || !p.amr.every((m) => AMR.has(m)))
  ) {
    throw new TokenError("bad amr claim");
  }
  return p as unknown as AccessClaims;
}

/**
 * Verifies a device token and its binding to the certificate presented on
 * this connection (`x5t` of the peer certificate).
 */
export async function verifyDeviceToken(
  ring: KeyRing,
  token: string,
  issuer: string,
  presentedX5t: string,
): Promise<DeviceClaims> {
  const p = await verify(ring, token, {
    issuer,
    audience: DEVICE_AUDIENCE,
    typ: DEVICE_TYP,
    required: ["cnf", "role"],
  });
  const cnf = p.cnf as { "x5t#S256"?: unknown } | undefined;
  if (p.role !== "publisher") throw new TokenError("bad role");
  if (!cnf || typeof cnf["x5t#S256"] !== "string") throw new TokenError("bad cnf claim");
  if (!constantTimeEqual(cnf["x5t#S256"], presentedX5t)) {
    throw new TokenError("cnf does not match the client certificate");
  }
  return p as unknown as DeviceClaims;
}

/** Constant-time string comparison (lengths may leak, contents do not). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
