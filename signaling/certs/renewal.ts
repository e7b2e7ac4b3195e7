/**
 * Renewal of the server certificate while the server runs: it lives 90 days
 * and is renewed when a third of that is left (pki_state.ts), so a check
 * twice a day is plenty.
 * @module
 */
import { ensurePki, type PkiState } from "./pki_state.ts";

/**
 * Checks every `everyMs` and calls `onRenewed` with the new PKI state when
 * the certificate was renewed; returns a stop function. Failures are logged
 * and retried at the next check.
 */
export function watchServerCertificate(o: {
  dataDir: string;
  names: { dnsNames: string[]; ipAddresses: string[] };
  onRenewed: (next: PkiState) => Promise<void>;
  /** The cluster's CA, if any (see `ensurePki`). */
  sharedCa?: { certPem: string; keyPem: string };
  everyMs?: number;
}): () => void {
  const timer = setInterval(async () => {
    try {
      const next = await ensurePki(o.dataDir, o.names, new Date(), o.sharedCa);
      if (next.renewedServer) await o.onRenewed(next);
    } catch (err) {
      console.error(`pki: server certificate renewal failed: ${(err as Error).message}`);
    }
  }, o.everyMs ?? 12 * 3_600_000);
  return () => clearInterval(timer);
}
