/**
 * Certificate revocation lists. The server enforces revocation itself (a
 * serial deny-list, since node:https in Deno ignores `crl`); the CRL
 * publishes the same list for other verifiers.
 */
import type { CaBundle } from "./ca.ts";
import { derUnsignedInteger } from "./der.ts";
import { derToPem } from "./encoding.ts";
import { authorityKeyIdentifier } from "./issue.ts";
import { normalizeSerial } from "./serial.ts";
import { ECDSA_SHA256, x509 } from "./x509_lib.ts";

/** A revoked certificate. */
export interface RevokedCertificate {
  /** Any form `normalizeSerial` accepts. */
  serial: string;
  revokedAt: Date;
}

/** Options of {@link createCrl}. */
export interface CrlOptions {
  thisUpdate: Date;
  nextUpdate: Date;
  /** Must grow with each CRL. Default: thisUpdate in whole seconds since the epoch. */
  crlNumber?: number;
}

const ID_CE_CRL_NUMBER = "2.5.29.20";

/**
 * A v2 CRL signed by the CA, as PEM labelled `X509 CRL` (the label openssl
 * and browsers read; @peculiar/x509's own `CRL` label is not). Extensions:
 * authority key identifier and CRL number (RFC 5280 §5.2 requires both).
 * Serials are normalized; a serial listed twice keeps its earliest date.
 * Throws `PkiError("serial_malformed")` for a bad serial and `RangeError`
 * for bad dates or CRL number.
 *
 * @example
 * ```ts
 * const now = new Date();
 * const crlPem = await createCrl(ca, db.revokedCertificates(), {
 *   thisUpdate: now,
 *   nextUpdate: new Date(now.getTime() + 3_600_000),
 * });
 * ```
 */
export async function createCrl(
  ca: CaBundle,
  revoked: { serial: string; revokedAt: Date }[],
  opts: CrlOptions,
): Promise<string> {
  if (!(opts.nextUpdate.getTime() > opts.thisUpdate.getTime())) {
    throw new RangeError("nextUpdate must be after thisUpdate");
  }
  const crlNumber = opts.crlNumber ?? Math.floor(opts.thisUpdate.getTime() / 1000);
  if (!Number.isSafeInteger(crlNumber) || crlNumber < 0) {
    throw new RangeError("crlNumber must be a non-negative safe integer");
  }
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subjectName,
    thisUpdate: opts.thisUpdate,
    nextUpdate: opts.nextUpdate,
    signingKey: ca.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      await authorityKeyIdentifier(ca),
      new x509.Extension(ID_CE_CRL_NUMBER, false, derUnsignedInteger(crlNumber)),
    ],
    entries: revocationEntries(revoked),
  });
  return derToPem(new Uint8Array(crl.rawData), "X509 CRL");
}

/** One entry per normalized serial, earliest revocation date first wins, sorted by serial for stable output. */
function revocationEntries(revoked: RevokedCertificate[]): x509.X509CrlEntryParams[] {
  const bySerial = new Map<string, Date>();
  for (const { serial, revokedAt } of revoked) {
    if (Number.isNaN(revokedAt.getTime())) throw new RangeError(`invalid revokedAt for ${serial}`);
    const key = normalizeSerial(serial);
    const seen = bySerial.get(key);
    if (!seen || revokedAt < seen) bySerial.set(key, revokedAt);
  }
  return [...bySerial.keys()].sort().map((serialNumber) => ({
    serialNumber,
    revocationDate: bySerial.get(serialNumber),
  }));
}
