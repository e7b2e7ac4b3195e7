/**
 * Trust on first contact, pinned: fetch the server's CA certificate over an
 * unverified TLS connection and accept it only if its SHA-256 fingerprint is
 * the one the operator gave. Everything afterwards is verified against it.
 *
 * @module
 */

import * as tls from "node:tls";
import { derToPem, fingerprint256, normalizeFingerprint } from "../../pki/mod.ts";

/** A raw DER certificate from a TLS chain, as `getPeerCertificate(true)` gives it. */
interface ChainCert {
  raw?: Uint8Array;
  issuerCertificate?: ChainCert;
}

/** DER certificates of a `getPeerCertificate(true)` chain, leaf first, no repeats. */
export function chainDers(leaf: ChainCert | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<ChainCert>();
  for (let c = leaf; c && !seen.has(c); c = c.issuerCertificate) {
    seen.add(c);
    if (c.raw && c.raw.length > 0) out.push(new Uint8Array(c.raw));
  }
  return out;
}

/**
 * The certificate of `ders` whose fingerprint equals `pin`, as PEM, or null.
 * `pin` may be in any form {@linkcode normalizeFingerprint} accepts.
 */
export function pickPinned(ders: Uint8Array[], pin: string): string | null {
  const want = normalizeFingerprint(pin);
  if (!want) throw new Error("the CA fingerprint is not a SHA-256 fingerprint (64 hex digits)");
  for (const der of ders) {
    if (fingerprint256(der) === want) return derToPem(der, "CERTIFICATE");
  }
  return null;
}

/**
 * Connects to `url`'s host and port, reads the presented chain, and returns
 * the CA certificate matching `pin` as PEM. Fails closed with one clear line.
 */
export async function fetchPinnedCa(url: string, pin: string, timeoutMs = 10_000): Promise<string> {
  const u = new URL(url);
  if (u.protocol !== "https:") throw new Error(`server URL must be https://, got ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = Number(u.port || 443);
  const ders = await new Promise<Uint8Array[]>((resolve, reject) => {
    const socket = tls.connect({
      host,
      port,
      // Unverified on purpose: the pin below is the check. Nothing is sent on this connection.
      rejectUnauthorized: false,
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${host}:${port}`));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const chain = chainDers(socket.getPeerCertificate(true) as unknown as ChainCert);
      socket.end();
      resolve(chain);
    });
    socket.once("error", (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`));
    });
  });
  const ca = pickPinned(ders, pin);
  if (!ca) {
    const seen = ders.map((d) => fingerprint256(d)).join(", ") || "none";
    throw new Error(
      `CA fingerprint mismatch: the server at ${host}:${port} did not present the pinned CA ` +
        `(presented: ${seen}); refusing to enroll`,
    );
  }
  return ca;
}
