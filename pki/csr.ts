/**
 * PKCS#10 certificate signing requests: made on the Pi, checked by the CA.
 */
import { derOf, derToPem } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { EC_P256 } from "./keys.ts";
import { ECDSA_SHA256, x509 } from "./x509_lib.ts";

/** X.520 upper bound of a common name. */
const MAX_CN_LENGTH = 64;

// A P-256 CSR is ~0.5 KB; refuse big blobs before parsing them.
const MAX_CSR_PEM_LENGTH = 16_384;

const CSR_LABELS = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"] as const;
const CSR_HASHES = new Set(["SHA-256", "SHA-384", "SHA-512"]);

/**
 * A PKCS#10 CSR (PEM) for `keys` with subject CN=`subjectCn`, signed with
 * ECDSA-SHA256. The CA ignores the subject (identity comes from the
 * enrollment token); it is there for humans reading the request.
 *
 * @example
 * ```ts
 * const keys = await generateDeviceKey();
 * const csrPem = await createCsr(keys, "cam-1");
 * ```
 */
export async function createCsr(keys: CryptoKeyPair, subjectCn: string): Promise<string> {
  if (subjectCn.length === 0 || subjectCn.length > MAX_CN_LENGTH) {
    throw new RangeError(`subject CN must be 1..${MAX_CN_LENGTH} characters`);
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [subjectCn] }],
    keys,
    signingAlgorithm: ECDSA_SHA256,
  });
  return derToPem(new Uint8Array(csr.rawData), "CERTIFICATE REQUEST");
}

/**
 * Checks a CSR's proof of possession: it parses, its key is ECDSA P-256 and
 * its ECDSA signature verifies with that key. Returns the public key; the
 * subject, attributes and requested extensions are deliberately not
 * returned, since the CA must not trust them. Throws `PkiError` with
 * `csr_malformed`, `csr_unsupported_key` or `csr_bad_signature`.
 *
 * @example
 * ```ts
 * const { publicKey } = await verifyCsr(body.csr);
 * ```
 */
export async function verifyCsr(csrPem: string): Promise<{ publicKey: CryptoKey }> {
  if (typeof csrPem !== "string" || csrPem.length > MAX_CSR_PEM_LENGTH) {
    throw new PkiError("csr_malformed", "CSR must be a PEM string of at most 16 KiB");
  }
  const der = derOf(csrPem, CSR_LABELS, "csr_malformed");
  let csr: x509.Pkcs10CertificateRequest;
  let spki: Uint8Array<ArrayBuffer>;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
    spki = new Uint8Array(csr.publicKey.rawData);
  } catch (err) {
    throw new PkiError("csr_malformed", "not a PKCS#10 certificate request", { cause: err });
  }
  const publicKey = await importP256PublicKey(csr, spki);
  await assertSignature(csr);
  return { publicKey };
}

async function importP256PublicKey(
  csr: x509.Pkcs10CertificateRequest,
  spki: Uint8Array<ArrayBuffer>,
): Promise<CryptoKey> {
  let algorithm: Partial<EcKeyAlgorithm>;
  try {
    algorithm = csr.publicKey.algorithm;
  } catch (err) {
    // The library throws for algorithms it doesn't know at all (e.g. other curves).
    throw new PkiError("csr_unsupported_key", "unsupported public key algorithm", { cause: err });
  }
  if (algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
    const what = [algorithm.name, algorithm.namedCurve].filter(Boolean).join(" ");
    throw new PkiError("csr_unsupported_key", `only ECDSA P-256 keys are accepted, got ${what}`);
  }
  try {
    // Extractable: certificate generation re-exports it as SPKI.
    return await crypto.subtle.importKey("spki", spki, EC_P256, true, ["verify"]);
  } catch (err) {
    throw new PkiError("csr_malformed", "public key is not a valid P-256 point", { cause: err });
  }
}

async function assertSignature(csr: x509.Pkcs10CertificateRequest): Promise<void> {
  let name: string, hash: string;
  try {
    ({ name, hash: { name: hash } } = csr.signatureAlgorithm);
  } catch (err) {
    throw new PkiError("csr_bad_signature", "unknown signature algorithm", { cause: err });
  }
  if (name !== "ECDSA" || !CSR_HASHES.has(hash)) {
    throw new PkiError("csr_bad_signature", `signature algorithm ${name} ${hash} is not accepted`);
  }
  let ok: boolean;
  try {
    ok = await csr.verify();
  } catch {
    ok = false; // e.g. a signature value that is not a DER ECDSA-Sig-Value
  }
  if (!ok) throw new PkiError("csr_bad_signature", "the CSR signature does not verify");
}
