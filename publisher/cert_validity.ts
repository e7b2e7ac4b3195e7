/**
 * The validity period of the device certificate, read with `node:crypto`'s
 * built-in X.509 parser. The publisher needs only these two dates at start
 * (to schedule renewal); pki/cert_info.ts answers more but loads
 * @peculiar/x509, ~20 MiB resident for the process's whole life.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";

/** notBefore / notAfter of a PEM certificate; throws on anything else. */
export function certValidity(pem: string): { notBefore: Date; notAfter: Date } {
  const cert = new X509Certificate(pem);
  return { notBefore: cert.validFromDate, notAfter: cert.validToDate };
}
