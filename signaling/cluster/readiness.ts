/**
 * Readiness (`/readyz`): can this node serve? The store answers a query,
 * the bus is connected, a signing key is loaded. Liveness (`/healthz`) is
 * only "the process answers": a load balancer takes an unready node out of
 * rotation, while a supervisor restarts only a dead one, so an outage of
 * PostgreSQL or NATS does not become a crash loop.
 * @module
 */
import type { KeyRing } from "../auth/jwt_keys.ts";
import type { BusHealth } from "../bus/nats_bus.ts";
import type { Store } from "../store/store.ts";

/** One check's outcome. */
export interface CheckResult {
  ok: boolean;
  /** What is wrong, for the operator (no secrets). */
  reason?: string;
}

/** The readiness report. */
export interface ReadinessReport {
  ready: boolean;
  store: CheckResult & { kind: string };
  bus: CheckResult & { kind: string };
  keys: CheckResult;
}

/** Checks store, bus and keys; logs each change of state once. */
export class Readiness {
  #last: boolean | null = null;
  #lastReasons = "";

  constructor(
    private readonly o: {
      store: Store;
      bus: { kind: string; health(): BusHealth };
      ring: () => KeyRing;
      /** Limit for the store's answer (default 2 s). */
      timeoutMs?: number;
      log?: (line: string) => void;
    },
  ) {}

  /** Runs the checks. */
  async check(): Promise<ReadinessReport> {
    const timeoutMs = this.o.timeoutMs ?? 2_000;
    let store: CheckResult;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.o.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      store = { ok: true };
    } catch (err) {
      store = { ok: false, reason: `store unreachable: ${oneLine((err as Error).message)}` };
    } finally {
      clearTimeout(timer);
    }
    const h = this.o.bus.health();
    const bus: CheckResult = h.state === "connected" ? { ok: true } : {
      ok: false,
      reason: `bus ${h.state} since ${new Date(h.since).toISOString()}${
        h.lastError ? ` (${oneLine(h.lastError)})` : ""
      }`,
    };
    const ring = this.o.ring();
    const keys: CheckResult = ring.current.kid && ring.publicKeys.has(ring.current.kid)
      ? { ok: true }
      : { ok: false, reason: "no usable signing key" };
    const ready = store.ok && bus.ok && keys.ok;
    const report = {
      ready,
      store: { ...store, kind: this.o.store.kind },
      bus: { ...bus, kind: this.o.bus.kind },
      keys,
    };
    const reasons = [store, bus, keys].map((c) => c.reason).filter(Boolean).join("; ");
    if (ready !== this.#last || reasons !== this.#lastReasons) {
      (this.o.log ?? ((l) => console.error(l)))(
        ready ? "ready: store, bus and keys usable" : `not ready: ${reasons}`,
      );
      this.#last = ready;
      this.#lastReasons = reasons;
    }
    return report;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").slice(0, 200);
}
