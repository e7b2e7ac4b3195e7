/**
 * Certificate fingerprints: the SHA-256 pin an operator copies to a Pi
 * ("AB:CD:…") and the RFC 8705 `x5t#S256` confirmation a device JWT carries.
 *
 * Synchronous on purpose (node:crypto's hash), so TLS handlers can compute
 * them inline from `getPeerCertificate().raw`.
 */
import { createHash } from "node:crypto";
import { derOf, toBase64Url, toHex } from "./encoding.ts";

const CERT_LABELS = ["CERTIFICATE"] as const;

function sha256(der: Uint8Array): Uint8Array {
  return createHash("sha256").update(der).digest();
}

/**
 * SHA-256 fingerprint of a certificate (PEM, or DER bytes hashed as given),
 * as uppercase hex pairs joined by colons — the form of
 * `openssl x509 -fingerprint -sha256` and node's `fingerprint256`.
 * A PEM that is not a CERTIFICATE throws `PkiError("cert_malformed")`.
 *
 * @example
 * ```ts
 * fingerprint256(caPem); // "3F:A2:…:9C" (95 characters)
 * ```
 */
export function fingerprint256(certPemOrDer: string | Uint8Array): string {
  const der = derOf(certPemOrDer, CERT_LABELS, "cert_malformed");
  return toHex(sha256(der)).toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

/**
 * Canonical form ("AB:CD:…", as {@link fingerprint256} returns) of a
 * SHA-256 fingerprint typed or pasted by a person, or `null` if it is not
 * one. Accepts upper or lower case, with colons between every pair or none,
 * and an optional `sha256:` / `sha-256:` / `SHA256 Fingerprint=` prefix
 * (the last is openssl's output line). Surrounding whitespace is ignored.
 *
 * @example
 * ```ts
 * normalizeFingerprint("sha256:3fa2…9c") === fingerprint256(caPem); // true
 * normalizeFingerprint("3F:A2"); // null: not 32 bytes
 * ```
 */
export function normalizeFingerprint(input: string): string | null {
  const text = input.trim().replace(/^(sha-?256:|sha-?256 fingerprint=)\s*/i, "");
  let hex: string;
  if (/^[0-9a-f]{64}$/i.test(text)) {
    hex = text;
  } else if (/^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/i.test(text)) {
    hex = text.replace(/:/g, "");
  } else {
    return null;
  }
  return hex.toUpperCase().replace(/(..)(?!$)/g, "$1:");
}

/**
 * RFC 8705 certificate thumbprint: unpadded base64url SHA-256 of the DER,
 * the value of a JWT's `cnf["x5t#S256"]`.
 *
 * @example
 * ```ts
 * const cnf = { "x5t#S256": x5tS256(socket.getPeerCertificate().raw) };
 * ```
 */
export function x5tS256(certPemOrDer: string | Uint8Array): string {
  return toBase64Url(sha256(derOf(certPemOrDer, CERT_LABELS, "cert_malformed")));
}
