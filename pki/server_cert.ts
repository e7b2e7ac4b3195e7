/**
 * TLS server certificates for the signaling server's listeners.
 */
import type { CaBundle } from "./ca.ts";
import { issueCertificate, type IssuedCertificate } from "./issue.ts";
import { formatIpForX509, parseIpAddress } from "./ip_address.ts";
import { exportPrivateKeyPem, generateEcKeyPair } from "./keys.ts";
import { assertDnsName } from "./names.ts";
import { validityWindow } from "./validity.ts";
import { x509 } from "./x509_lib.ts";

/** Options of {@link issueServerCertificate}. */
export interface ServerCertificateOptions {
  dnsNames: string[];
  ipAddresses: string[];
  /** Default 90. Browsers refuse more than 398 for public CAs; keep it short. */
  validityDays?: number;
  /** Default the current time. */
  now?: Date;
}

const DAY_MS = 86_400_000;

/**
 * A fresh P-256 key and a server certificate for it: SAN with every DNS name
 * and IP address, CN = first DNS name (first IP if there is none),
 * basicConstraints CA:FALSE (critical), keyUsage digitalSignature
 * (critical), extendedKeyUsage serverAuth. Valid from 60 s before `now`.
 * Throws `RangeError` for an invalid or missing name.
 *
 * @example
 * ```ts
 * const server = await issueServerCertificate(ca, { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"] });
 * https.createServer({ cert: server.certPem, key: server.keyPem, ... });
 * ```
 */
export async function issueServerCertificate(
  ca: CaBundle,
  opts: ServerCertificateOptions,
): Promise<IssuedCertificate & { keyPem: string }> {
  const sans = subjectAltNames(opts.dnsNames, opts.ipAddresses);
  const { notBefore, notAfter } = validityWindow(
    opts.now ?? new Date(),
    (opts.validityDays ?? 90) * DAY_MS,
    ca.cert.notAfter,
  );
  const keys = await generateEcKeyPair(true);
  const issued = await issueCertificate(ca, {
    subjectCn: opts.dnsNames[0] ?? opts.ipAddresses[0],
    publicKey: keys.publicKey,
    notBefore,
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
    ],
  });
  return { ...issued, keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

function subjectAltNames(dnsNames: string[], ipAddresses: string[]): x509.JsonGeneralName[] {
  if (dnsNames.length + ipAddresses.length === 0) {
    throw new RangeError("a server certificate needs at least one DNS name or IP address");
  }
  const names: x509.JsonGeneralName[] = [];
  for (const name of dnsNames) {
    assertDnsName(name);
    names.push({ type: "dns", value: name });
  }
  for (const text of ipAddresses) {
    const bytes = parseIpAddress(text);
    if (!bytes) throw new RangeError(`invalid IP address: ${text}`);
    names.push({ type: "ip", value: formatIpForX509(bytes) });
  }
  return names;
}
