/**
 * The browser half of passkeys: `@simplewebauthn/browser` turns the server's
 * options JSON into a `navigator.credentials` call and the credential back
 * into JSON (and falls back where a browser lacks
 * `PublicKeyCredential.parseCreationOptionsFromJSON`). The HTTP calls live in
 * api.ts; this module only answers ceremonies and words their failures.
 * @module
 */
import {
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";
import { ApiError, type Ceremony } from "./api.ts";

/** What the views need of WebAuthn; tests pass fakes. */
export interface Passkeys {
  /** Whether this browser can use passkeys at all (the buttons are hidden otherwise). */
  supported(): boolean;
  /** Creates a passkey for the server's creation options. */
  create: Ceremony;
  /** Signs the server's challenge with a passkey. */
  get: Ceremony;
}

/** The real browser, through @simplewebauthn/browser. */
export const browserPasskeys: Passkeys = {
  supported: () => browserSupportsWebAuthn(),
  create: (options) =>
    startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON }),
  get: (options) =>
    startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON }),
};

/**
 * A passkey failure in words for the page. The browser reports a cancelled
 * prompt, a timeout and "no passkey for this site" all as NotAllowedError
 * (WebAuthn L3 §5.1.3, §5.1.4.1 — deliberately indistinguishable), so one
 * message covers them; Chromium says the same on a page whose certificate
 * it does not trust (measured: a virtual authenticator behind
 * `ignoreHTTPSErrors`). Pure.
 */
export function passkeyErrorMessage(e: unknown, action: "create" | "get"): string {
  if (e instanceof ApiError) return e.message;
  const err = e as { name?: unknown; code?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const name = typeof err?.name === "string" ? err.name : "";
  if (code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED" || name === "InvalidStateError") {
    return "This authenticator already holds a passkey for this account.";
  }
  if (code === "ERROR_CEREMONY_ABORTED" || name === "AbortError") return "Cancelled.";
  if (name === "NotAllowedError") {
    return action === "get"
      ? "No passkey was used (cancelled, timed out, or none for this site; passkeys also need " +
        "a certificate this browser trusts)."
      : "No passkey was created (cancelled or timed out).";
  }
  if (
    name === "SecurityError" || code === "ERROR_INVALID_DOMAIN" || code === "ERROR_INVALID_RP_ID"
  ) {
    return "Passkeys need this site's own name over HTTPS (see --rp-id in the README).";
  }
  const msg = typeof err?.message === "string" && err.message ? err.message : String(e);
  return `Passkey failed: ${msg}`;
}
