/**
 * The connection-time deny-list of revoked certificate serials. node:https in
 * Deno ignores the `crl` option, so revocation is enforced here: at every TLS
 * connection, on every request, and by closing live connections when an
 * operator revokes a device from another process (detected through the
 * store's change marker, sqlite's `data_version`, within a few hundred
 * milliseconds).
 * @module
 */
import { normalizeSerial } from "../../pki/mod.ts";
import type { Store } from "../store/store.ts";

type Listener = (serials: string[]) => void;

/** Revoked serials, kept in sync with the store. */
export class RevocationList {
  #serials = new Set<string>();
  #version = -1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #listeners = new Set<Listener>();
  #changeListeners = new Set<() => void>();

  #reloading: Promise<void> | null = null;
  #failingSince: number | null = null;

  private constructor(private readonly store: Store) {}

  /** The list, loaded from the store. */
  static async load(store: Store): Promise<RevocationList> {
    const list = new RevocationList(store);
    await list.reload();
    return list;
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
  async reload(): Promise<void> {
    this.#version = await this.store.changeMarker();
    const revoked = await this.store.devices.revokedCertificates();
    const next = new Set(revoked.map((r) => normalizeSerial(r.serial)));
    const added = [...next].filter((s) => !this.#serials.has(s));
    this.#serials = next;
    if (added.length > 0) { for (const fn of this.#listeners) fn(added); }
    for (const fn of this.#changeListeners) fn();
  }

  /** Polls the store for changes by other processes (one check at a time). */
  watch(intervalMs = 250): void {
    this.#timer = setInterval(() => {
      if (this.#reloading) return;
      this.#reloading = (async () => {
        if (await this.store.changeMarker() !== this.#version) await this.reload();
        if (this.#failingSince !== null) {
          console.error(
            `revocation: store readable again after ${Date.now() - this.#failingSince} ms`,
          );
          this.#failingSince = null;
        }
      })().catch((err) => {
        // Once per outage, not four lines a second: /readyz tells the state meanwhile.
        if (this.#failingSince !== null) return;
        this.#failingSince = Date.now();
        console.error(`revocation: cannot read the store: ${(err as Error).message}; retrying`);
      }).finally(() => this.#reloading = null);
    }, intervalMs);
  }

  /** Stops polling; resolves when a check under way has finished. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#reloading;
  }
}
