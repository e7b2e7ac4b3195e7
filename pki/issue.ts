/**
 * What every certificate this CA issues has in common: a random serial, the
 * CA as issuer, key identifiers, the ECDSA-SHA256 signature, and the summary
 * returned to callers. Server and device profiles add their own extensions.
 */
import type { CaBundle } from "./ca.ts";
import { derToPem } from "./encoding.ts";
import { fingerprint256, x5tS256 } from "./fingerprint.ts";
import { normalizeSerial, randomSerial } from "./serial.ts";
import { ECDSA_SHA256, x509 } from "./x509_lib.ts";

/** A certificate just issued, with the identifiers callers store. */
export interface IssuedCertificate {
  certPem: string;
  /** Canonical serial (see `normalizeSerial`): 32 lowercase hex digits. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** "AB:CD:…", as `fingerprint256` returns. */
  fingerprint256: string;
  /** Unpadded base64url SHA-256 of the DER (RFC 8705). */
  x5tS256: string;
}

/** The profile-specific part of a certificate. */
export interface CertificateTemplate {
  subjectCn: string;
  publicKey: CryptoKey;
  notBefore: Date;
  notAfter: Date;
  /** Profile extensions; key identifiers are added here. */
  extensions: x509.Extension[];
}

/**
 * Signs `template` with the CA, adding a fresh random serial, the CA's
 * subject as issuer, the subject and authority key identifiers.
 *
 * @example
 * ```ts
 * const issued = await issueCertificate(ca, { subjectCn, publicKey, notBefore, notAfter, extensions });
 * ```
 */
export async function issueCertificate(
  ca: CaBundle,
  template: CertificateTemplate,
): Promise<IssuedCertificate> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: [{ CN: [template.subjectCn] }],
    issuer: ca.cert.subjectName,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    publicKey: template.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      ...template.extensions,
      await x509.SubjectKeyIdentifierExtension.create(template.publicKey),
      await authorityKeyIdentifier(ca),
    ],
  });
  return describeIssued(cert);
}

/**
 * The {@link IssuedCertificate} summary of a certificate.
 *
 * @example
 * ```ts
 * const { serial, fingerprint256 } = describeIssued(cert);
 * ```
 */
export function describeIssued(cert: x509.X509Certificate): IssuedCertificate {
  const der = new Uint8Array(cert.rawData);
  return {
    certPem: derToPem(der, "CERTIFICATE"),
    serial: normalizeSerial(cert.serialNumber),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprint256: fingerprint256(der),
    x5tS256: x5tS256(der),
  };
}

/**
 * The authority key identifier for certificates `ca` signs: the CA's own
 * subject key identifier when it has one (so chains built by key id match a
 * CA made by another tool), else the usual SHA-1 of its public key.
 *
 * @example
 * ```ts
 * const aki = await authorityKeyIdentifier(ca);
 * ```
 */
export async function authorityKeyIdentifier(
  ca: CaBundle,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
  return await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey);
}
