/**
 * The root CA: creating it on first start and loading it for signing.
 */
import { derOf, derToPem, toHex } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { CLOCK_SKEW_MS } from "./validity.ts";
import {
  EC_P256,
  exportPrivateKeyPem,
  generateEcKeyPair,
  importEcPrivateKeyPem,
  keysMatch,
} from "./keys.ts";
import { randomSerial } from "./serial.ts";
import { ECDSA_SHA256, x509 } from "./x509_lib.ts";

/** A loaded CA, ready to sign. */
export interface CaBundle {
  cert: x509.X509Certificate;
  certPem: string;
  /** Non-extractable. */
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/** Options of {@link createRootCa}. */
export interface RootCaOptions {
  /** Default "vigil root CA <8 random hex digits>", so CAs from separate installs are told apart in a trust store. */
  commonName?: string;
  /** Default 3650 (10 years). */
  validityDays?: number;
  /** Default the current time. */
  now?: Date;
}

const DAY_MS = 86_400_000;

/**
 * A new self-signed root CA: ECDSA P-256 key, basicConstraints CA:TRUE
 * pathlen:0 (critical; it signs only end-entity certificates), keyUsage
 * keyCertSign+cRLSign (critical), a subject key identifier, a random 128-bit
 * serial, valid from a minute ago (clock skew) for `validityDays`.
 *
 * @example
 * ```ts
 * const { certPem, keyPem } = await createRootCa();
 * await writeSecretFile(`${dataDir}/ca.key`, keyPem);
 * await writePublicFile(`${dataDir}/ca.pem`, certPem);
 * ```
 */
export async function createRootCa(
  opts: RootCaOptions = {},
): Promise<{ certPem: string; keyPem: string }> {
  const now = opts.now ?? new Date();
  const validityDays = opts.validityDays ?? 3650;
  if (!(validityDays > 0) || !Number.isFinite(validityDays)) {
    throw new RangeError("validityDays must be a positive number");
  }
  const commonName = opts.commonName ??
    `vigil root CA ${toHex(crypto.getRandomValues(new Uint8Array(4)))}`;
  const keys = await generateEcKeyPair(true);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    keys,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: derToPem(new Uint8Array(cert.rawData), "CERTIFICATE"),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
  };
}

/**
 * Loads a CA certificate and its private key (see
 * {@link importEcPrivateKeyPem} for accepted key formats). Throws
 * `PkiError("cert_malformed")` if the certificate is unreadable, not a CA
 * allowed to sign certificates, or not ECDSA P-256, and
 * `PkiError("key_malformed")` if the key is unreadable or not the
 * certificate's.
 *
 * @example
 * ```ts
 * const ca = await loadCa(await Deno.readTextFile(caPemPath), await Deno.readTextFile(caKeyPath));
 * ```
 */
export async function loadCa(certPem: string, keyPem: string): Promise<CaBundle> {
  const der = derOf(certPem, ["CERTIFICATE"], "cert_malformed");
  let cert: x509.X509Certificate;
  let publicKey: CryptoKey;
  try {
    cert = new x509.X509Certificate(der);
    publicKey = await crypto.subtle.importKey(
      "spki",
      new Uint8Array(cert.publicKey.rawData),
      EC_P256,
      true,
      ["verify"],
    );
  } catch (err) {
    throw new PkiError("cert_malformed", "not an ECDSA P-256 certificate", { cause: err });
  }
  assertSigningCa(cert);
  const privateKey = await importEcPrivateKeyPem(keyPem);
  if (!await keysMatch(privateKey, publicKey)) {
    throw new PkiError("key_malformed", "the CA key does not match the CA certificate");
  }
  return { cert, certPem: derToPem(der, "CERTIFICATE"), privateKey, publicKey };
}

function assertSigningCa(cert: x509.X509Certificate): void {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca) throw new PkiError("cert_malformed", "not a CA certificate (basicConstraints)");
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  const needed = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
  if (ku && (ku.usages & needed) !== needed) {
    throw new PkiError("cert_malformed", "CA keyUsage lacks keyCertSign or cRLSign");
  }
}
