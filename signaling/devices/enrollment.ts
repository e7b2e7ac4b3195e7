/**
 * Device enrollment and renewal: turn a CSR into a device certificate.
 * Identity comes from the enrollment record (or the current certificate for
 * renewal), never from the CSR. The CSR is checked before the token is
 * consumed, so a bad CSR leaves the token usable.
 * @module
 */
import { type IssuedCertificate, PkiError, signDeviceCsr, verifyCsr } from "../../pki/mod.ts";
import type { ServerContext } from "../context.ts";
import { sha256Hex } from "../auth/secrets.ts";
import {
  consumeEnrollmentToken,
  isDeviceActive,
  recordCertificate,
  releaseEnrollmentToken,
} from "../store/devices.ts";

/** A refusal with its HTTP status. */
export class EnrollError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 409, readonly code: string, message: string) {
    super(message);
  }
}

const TOKEN_MESSAGES = {
  unknown: [401, "unknown enrollment token"],
  expired: [401, "the enrollment token has expired; ask the operator for a new one (device:add)"],
  used: [409, "the enrollment token was already used; ask the operator for a new one (device:add)"],
  device_revoked: [403, "this device was revoked"],
} as const;

async function checkCsr(csrPem: string): Promise<void> {
  try {
    await verifyCsr(csrPem);
  } catch (err) {
    if (err instanceof PkiError) throw new EnrollError(400, err.code, err.message);
    throw err;
  }
}

async function issue(
  ctx: ServerContext,
  csrPem: string,
  deviceId: string,
): Promise<IssuedCertificate> {
  const cert = await signDeviceCsr(ctx.pki.ca, csrPem, {
    deviceId,
    lifetimeMs: ctx.config.deviceCertLifetimeMs,
  });
  recordCertificate(ctx.db, {
    serial: cert.serial,
    deviceId,
    fingerprint256: cert.fingerprint256,
    x5tS256: cert.x5tS256,
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    issuedAt: Date.now(),
  });
  return cert;
}

/** Enrolls with a one-time token. */
export async function enrollDevice(
  ctx: ServerContext,
  token: string,
  csrPem: string,
): Promise<{ deviceId: string; cert: IssuedCertificate }> {
  await checkCsr(csrPem);
  const hash = await sha256Hex(token);
  const r = consumeEnrollmentToken(ctx.db, hash, Date.now());
  if ("refused" in r) {
    const [status, message] = TOKEN_MESSAGES[r.refused];
    throw new EnrollError(status, `token_${r.refused}`, message);
  }
  try {
    return { deviceId: r.deviceId, cert: await issue(ctx, csrPem, r.deviceId) };
  } catch (err) {
    releaseEnrollmentToken(ctx.db, hash);
    throw err;
  }
}

/** Renews for a device authenticated by its current certificate. */
export async function renewDevice(
  ctx: ServerContext,
  deviceId: string,
  csrPem: string,
): Promise<IssuedCertificate> {
  if (!isDeviceActive(ctx.db, deviceId)) {
    throw new EnrollError(403, "device_revoked", "this device was revoked");
  }
  await checkCsr(csrPem);
  return await issue(ctx, csrPem, deviceId);
}
