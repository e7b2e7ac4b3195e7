/**
 * Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core.
 * Never downloads a browser.
 * @module
 */
import {
  type Browser,
  type BrowserContext,
  type CDPSession,
  chromium,
  type Page,
} from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/**
 * Launches Chromium with the flags this sandbox needs and a fresh profile.
 * `executablePath` may name a wrapper that execs Debian's Chromium (e.g.
 * inside a network namespace).
 */
export function launchChromium(
  extraArgs: string[] = [],
  o: { executablePath?: string } = {},
): Promise<Browser> {
  return chromium.launch({
    executablePath: o.executablePath ?? CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      ...extraArgs,
    ],
  });
}

/**
 * Chromium flags that trust the TLS certificate the server on `port` shows
 * (by its SPKI SHA-256), for pages that need a secure context without
 * certificate errors: WebAuthn refuses to run on a page whose certificate
 * Chromium merely ignores (`ignoreHTTPSErrors`).
 */
export async function trustServerCertificate(port: number): Promise<string[]> {
  const p = new Deno.Command("sh", {
    args: [
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} -servername localhost </dev/null 2>/dev/null | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  });
  const hash = new TextDecoder().decode((await p.output()).stdout).trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(hash)) {
    throw new Error(`no SPKI hash from port ${port}: ${hash}`);
  }
  return [`--ignore-certificate-errors-spki-list=${hash}`];
}

/**
 * Adds a CDP virtual platform authenticator to `page` (ctap2, internal,
 * resident keys) that answers every WebAuthn prompt at once with the user
 * present and verified.
 */
export async function addVirtualAuthenticator(
  context: BrowserContext,
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}
