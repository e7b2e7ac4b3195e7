/**
 * Validity windows of issued certificates. Pure.
 */

/** How far notBefore is backdated, so a peer whose clock runs behind accepts a fresh certificate. */
export const CLOCK_SKEW_MS = 60_000;

/**
 * The validity of a certificate issued at `now` for `lifetimeMs`:
 * notBefore = now − {@link CLOCK_SKEW_MS}, notAfter = now + lifetime, but never
 * past the CA's own notAfter (a certificate can't outlive its issuer).
 * Throws `RangeError` for a non-positive lifetime or an expired CA.
 *
 * Certificates store whole seconds; the dates returned here may carry
 * milliseconds that encoding drops.
 *
 * @example
 * ```ts
 * const { notBefore, notAfter } = validityWindow(new Date(), 86_400_000, ca.cert.notAfter);
 * ```
 */
export function validityWindow(
  now: Date,
  lifetimeMs: number,
  caNotAfter: Date,
): { notBefore: Date; notAfter: Date } {
  if (!(lifetimeMs > 0) || !Number.isFinite(lifetimeMs)) {
    throw new RangeError("certificate lifetime must be a positive number of milliseconds");
  }
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(Math.min(now.getTime() + lifetimeMs, caNotAfter.getTime()));
  if (notAfter.getTime() <= now.getTime()) {
    throw new RangeError("the CA certificate has expired");
  }
  return { notBefore, notAfter };
}
