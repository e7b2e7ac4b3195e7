/**
 * Reading the facts the server needs out of a certificate.
 */
import { derOf } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { fingerprint256, x5tS256 } from "./fingerprint.ts";
import { DEVICE_URI_PREFIX, deviceIdFromUri } from "./names.ts";
import { normalizeSerial } from "./serial.ts";
import { x509 } from "./x509_lib.ts";

/** What {@link certInfo} reports. */
export interface CertInfo {
  /** Canonical (see `normalizeSerial`). */
  serial: string;
  /** First CN of the subject, "" if none. */
  subjectCn: string;
  /** First CN of the issuer, "" if none. */
  issuerCn: string;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  /** Extended key usage OIDs, e.g. "1.3.6.1.5.5.7.3.2" for clientAuth; empty if absent. */
  extendedKeyUsages: string[];
  /** From the one SAN URI `urn:vigil:device:<id>`; null if none, several, or malformed. */
  deviceId: string | null;
  fingerprint256: string;
  x5tS256: string;
}

/**
 * Parses a certificate (PEM or DER, e.g. `getPeerCertificate().raw`) and
 * reports its identifiers. It does not verify anything: use it on
 * certificates TLS has already validated against the CA. Throws
 * `PkiError("cert_malformed")`.
 *
 * @example
 * ```ts
 * const info = certInfo(socket.getPeerCertificate().raw);
 * if (!info.deviceId || denyList.has(info.serial)) socket.destroy();
 * ```
 */
export function certInfo(certPemOrDer: string | Uint8Array): CertInfo {
  const der = derOf(certPemOrDer, ["CERTIFICATE"], "cert_malformed");
  try {
    const cert = new x509.X509Certificate(der);
    return {
      serial: normalizeSerial(cert.serialNumber),
      subjectCn: cert.subjectName.getField("CN")[0] ?? "",
      issuerCn: cert.issuerName.getField("CN")[0] ?? "",
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca ?? false,
      // `usages` is an Array subclass from the ASN.1 layer; hand out a plain string[].
      extendedKeyUsages: Array.from(
        cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [],
        String,
      ),
      deviceId: deviceIdOf(cert),
      fingerprint256: fingerprint256(der),
      x5tS256: x5tS256(der),
    };
  } catch (err) {
    if (err instanceof PkiError && err.code === "cert_malformed") throw err;
    throw new PkiError("cert_malformed", "not a readable X.509 certificate", { cause: err });
  }
}

function deviceIdOf(cert: x509.X509Certificate): string | null {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const uris = san?.names.items.filter((n) => n.type === "url").map((n) => n.value) ?? [];
  const deviceUris = uris.filter((u) => u.startsWith(DEVICE_URI_PREFIX));
  return deviceUris.length === 1 ? deviceIdFromUri(deviceUris[0]) : null;
}
