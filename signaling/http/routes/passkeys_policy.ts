/**
 * Where passkey ceremonies are bound: the relying party ID and the origin
 * the library checks in every response (WebAuthn L3 §7.1 steps 9 and 15,
 * §7.2 steps 13 and 15). Pure.
 * @module
 */

/** The RP ID: `--rp-id`, else `--host` when it is a DNS name, else `localhost`. */
export function relyingPartyId(s: { rpId: string | null; host: string }): string {
  if (s.rpId) return s.rpId;
  const h = s.host.toLowerCase();
  const isIp = /^[0-9.]+$/.test(h) || h.includes(":");
  return isIp || h === "" ? "localhost" : h;
}

/**
 * The expected origin: `--origin`, else `https://` + the request's Host when
 * its name is the RP ID (the authenticator signs the RP ID's hash, so a Host
 * naming another site cannot make a credential of this one answer), else null.
 */
export function expectedOrigin(
  s: { origin: string | null },
  rpId: string,
  host: string | undefined,
): string | null {
  if (s.origin) return s.origin;
  if (!host || host.length > 300) return null;
  let u: URL;
  try {
    u = new URL(`https://${host}`);
  } catch {
    return null;
  }
  return u.hostname === rpId ? u.origin : null;
}
