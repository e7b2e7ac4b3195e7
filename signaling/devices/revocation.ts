/**
 * The connection-time deny-list of revoked certificate serials. node:https in
 * Deno ignores the `crl` option, so revocation is enforced here: at every TLS
 * connection, on every request, and by closing live connections when an
 * operator revokes a device from another process (detected through sqlite's
 * `data_version` within a few hundred milliseconds).
 * @module
 */
import { normalizeSerial } from "../../pki/mod.ts";
import { type Database, dataVersion } from "../store/db.ts";
import { revokedCertificates } from "../store/devices.ts";

type Listener = (serials: string[]) => void;

/** Revoked serials, kept in sync with the store. */
export class RevocationList {
  #serials = new Set<string>();
  #version = -1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #listeners = new Set<Listener>();
  #changeListeners = new Set<() => void>();

  constructor(private readonly db: Database) {
    this.reload();
  }

  /** Whether a serial (any hex form) is revoked. */
  isRevoked(serial: string): boolean {
    return this.#serials.has(normalizeSerial(serial));
  }

  /** Calls `fn` with newly revoked serials. */
  onRevoked(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls `fn` whenever another process changed the store. */
  onChange(fn: () => void): () => void {
    this.#changeListeners.add(fn);
    return () => this.#changeListeners.delete(fn);
  }

  /** Re-reads the store; notifies listeners of serials revoked since last time. */
  reload(): void {
    this.#version = dataVersion(this.db);
    const next = new Set(revokedCertificates(this.db).map((r) => normalizeSerial(r.serial)));
    const added = [...next].filter((s) => !this.#serials.has(s));
    this.#serials = next;
    if (added.length > 0) { for (const fn of this.#listeners) fn(added); }
    for (const fn of this.#changeListeners) fn();
  }

  /** Polls the store for changes by other processes. */
  watch(intervalMs = 250): void {
    this.#timer = setInterval(() => {
      try {
        if (dataVersion(this.db) !== this.#version) this.reload();
      } catch (err) {
        console.error(`revocation: reload failed: ${(err as Error).message}`);
      }
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
