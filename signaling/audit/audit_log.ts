/**
 * The audit log: one JSON object per line for each security event (logins,
 * refused tokens, enrollment, renewal, revocation, sessions). Callers pass
 * only identifiers and reasons; {@linkcode redact} is a last line of defence
 * that drops any field whose name suggests a secret.
 *
 * @example
 * ```ts
 * const audit = new AuditLog("./data/audit.log");
 * audit.log("login.failure", { user: "alice", ip: "127.0.0.1", reason: "bad password" });
 * ```
 * @module
 */

const SECRET_FIELD = /token|password|secret|key|cookie|authorization|csr|sdp/i;

/**
 * One entry as a JSON line. JSON.stringify leaves U+2028 and U+2029 as they
 * are, and some tools (editors, JavaScript line readers, log viewers) break
 * lines there: an attacker-chosen value (a user name, a reason) could then
 * show as a forged entry of its own. Escaped, every entry is one line.
 */
export function auditLine(entry: Record<string, unknown>): string {
  return JSON.stringify(entry).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029") + "\n";
}

/** An audit sink writing JSON lines (appended, 0600). */
export class AuditLog {
  #file: Deno.FsFile | null;
  #encoder = new TextEncoder();
  /** The last events, for tests and diagnostics. */
  readonly recent: Record<string, unknown>[] = [];
  #listeners = new Set<(event: string, fields: Record<string, unknown>) => void>();

  constructor(path: string | null) {
    this.#file = path ? Deno.openSync(path, { append: true, create: true, mode: 0o600 }) : null;
  }

  /** Records one event. Never throws: an audit failure must not break a request. */
  log(event: string, fields: Record<string, unknown> = {}): void {
    const clean = redact(fields);
    const entry = { ts: new Date().toISOString(), event, ...clean };
    for (const fn of this.#listeners) {
      try {
        fn(event, clean);
      } catch (err) {
        console.error(`audit: listener failed: ${(err as Error).message}`);
      }
    }
    this.recent.push(entry);
    if (this.recent.length > 1000) this.recent.splice(0, this.recent.length - 1000);
    try {
      this.#file?.writeSync(this.#encoder.encode(auditLine(entry)));
    } catch (err) {
      console.error(`audit: write failed: ${(err as Error).message}`);
    }
  }

  /** Calls `fn` with every event (redacted), e.g. to count refusals; returns an unsubscribe. */
  onEvent(fn: (event: string, fields: Record<string, unknown>) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

/** Removes fields that could carry a secret and truncates long strings. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) continue;
    out[k] = typeof v === "string" && v.length > 200 ? v.slice(0, 200) + "…" : v;
  }
  return out;
}
