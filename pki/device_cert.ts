/**
 * Device (Pi) client certificates, issued from a verified CSR.
 */
import type { CaBundle } from "./ca.ts";
import { verifyCsr } from "./csr.ts";
import { issueCertificate, type IssuedCertificate } from "./issue.ts";
import { deviceUri } from "./names.ts";
import { validityWindow } from "./validity.ts";
import { x509 } from "./x509_lib.ts";

/** Options of {@link signDeviceCsr}. */
export interface DeviceCertificateOptions {
  /** The identity, from the enrollment token or the current certificate; never from the CSR. */
  deviceId: string;
  /** Default 24 h. */
  lifetimeMs?: number;
  /** Default the current time. */
  now?: Date;
}

const DEFAULT_LIFETIME_MS = 24 * 3_600_000;

/**
 * Verifies a device CSR (see `verifyCsr`) and issues a short-lived client
 * certificate for its key. Everything but the key comes from `opts`: subject
 * CN = deviceId, SAN URI `urn:vigil:device:<deviceId>`; the CSR's subject and
 * requested extensions are ignored. Profile: basicConstraints CA:FALSE
 * (critical), keyUsage digitalSignature (critical), extendedKeyUsage
 * clientAuth only, random 128-bit serial, valid from 60 s before `now`.
 * Throws `PkiError` (csr_*) for a bad CSR, `RangeError` for a bad device id.
 *
 * @example
 * ```ts
 * const issued = await signDeviceCsr(ca, body.csr, { deviceId: token.deviceId });
 * db.recordCertificate(token.deviceId, issued.serial, issued.notAfter);
 * ```
 */
export async function signDeviceCsr(
  ca: CaBundle,
  csrPem: string,
  opts: DeviceCertificateOptions,
): Promise<IssuedCertificate> {
  const uri = deviceUri(opts.deviceId);
  const { publicKey } = await verifyCsr(csrPem);
  const { notBefore, notAfter } = validityWindow(
    opts.now ?? new Date(),
    opts.lifetimeMs ?? DEFAULT_LIFETIME_MS,
    ca.cert.notAfter,
  );
  return await issueCertificate(ca, {
    subjectCn: opts.deviceId,
    publicKey,
    notBefore,
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: uri }]),
    ],
  });
}
