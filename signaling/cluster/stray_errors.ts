/**
 * A guard for the cluster's network clients: after an outage of PostgreSQL
 * or NATS, a client library can leave a rejected promise nobody awaits (a
 * socket reset that surfaces after its caller gave up: seen as `read
 * ECONNRESET` after a server restart). Deno ends the process on an
 * unhandled rejection; for a node that is a crash loop during every outage.
 * Only connection-level errors are kept from doing that (logged once a
 * second at most); anything else still ends the process as before.
 * @module
 */

const NETWORK =
  /\b(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED)\b/;

/** Whether an unhandled rejection is a cluster client's connection error (pure). */
export function isStrayNetworkError(reason: unknown): boolean {
  const text = reason instanceof Error
    ? `${reason.message} ${(reason as { code?: string }).code ?? ""}`
    : String(reason);
  return NETWORK.test(text);
}

let installed = false;

/** Installs the guard once per process. */
export function guardStrayNetworkErrors(log: (line: string) => void = console.error): void {
  if (installed) return;
  installed = true;
  let lastLog = 0;
  globalThis.addEventListener("unhandledrejection", (e) => {
    if (!isStrayNetworkError(e.reason)) return;
    e.preventDefault();
    const now = Date.now();
    if (now - lastLog < 1000) return;
    lastLog = now;
    log(
      `cluster: a client's connection error after an outage, ignored: ${
        String((e.reason as Error)?.message ?? e.reason).slice(0, 200)
      }`,
    );
  });
}
