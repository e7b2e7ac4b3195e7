/**
 * Errors the PKI raises for bad input data (CSRs, certificates, keys, PEM,
 * serials). Callers map `code` to a protocol error; `message` is for logs.
 *
 * Programmer errors (an invalid device id, a negative validity) are thrown as
 * `RangeError` instead: they mean a bug in the caller, not a hostile peer.
 */

/** Every code a {@link PkiError} can carry. */
export type PkiErrorCode =
  | "csr_malformed"
  | "csr_bad_signature"
  | "csr_unsupported_key"
  | "cert_malformed"
  | "key_malformed"
  | "pem_malformed"
  | "serial_malformed";

/**
 * An error caused by the data handed to the PKI.
 *
 * @example
 * ```ts
 * try {
 *   await verifyCsr(body.csr);
 * } catch (err) {
 *   if (err instanceof PkiError) return c.json({ error: err.code, message: err.message }, 400);
 *   throw err;
 * }
 * ```
 */
export class PkiError extends Error {
  /** @param code one of {@link PkiErrorCode} */
  constructor(readonly code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PkiError";
  }
}
