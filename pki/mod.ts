/**
 * vigil's built-in CA: root, server and device certificates, CSR signing,
 * revocation lists, fingerprints. Pure library except `files.ts`.
 *
 * @example
 * ```ts
 * import { createRootCa, loadCa, signDeviceCsr } from "../pki/mod.ts";
 * const { certPem, keyPem } = await createRootCa();
 * const ca = await loadCa(certPem, keyPem);
 * const issued = await signDeviceCsr(ca, csrPem, { deviceId: "cam-1" });
 * ```
 *
 * @module
 */
export { PkiError, type PkiErrorCode } from "./errors.ts";
export { type CaBundle, createRootCa, loadCa, type RootCaOptions } from "./ca.ts";
export { type IssuedCertificate } from "./issue.ts";
export { issueServerCertificate, type ServerCertificateOptions } from "./server_cert.ts";
export { type DeviceCertificateOptions, signDeviceCsr } from "./device_cert.ts";
export { createCsr, verifyCsr } from "./csr.ts";
export { createCrl, type CrlOptions, type RevokedCertificate } from "./crl.ts";
export { fingerprint256, normalizeFingerprint, x5tS256 } from "./fingerprint.ts";
export { type CertInfo, certInfo } from "./cert_info.ts";
export { normalizeSerial, randomSerial, SERIAL_HEX_LENGTH } from "./serial.ts";
export { derToPem, pemToDer } from "./encoding.ts";
export {
  exportPrivateKeyPem,
  generateDeviceKey,
  importEcKeyPairPem,
  importEcPrivateKeyPem,
} from "./keys.ts";
export { DEVICE_ID_PATTERN, DEVICE_URI_PREFIX, deviceIdFromUri, deviceUri } from "./names.ts";
export { CLOCK_SKEW_MS } from "./validity.ts";
export { writePublicFile, writeSecretFile } from "./files.ts";
