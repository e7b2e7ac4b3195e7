/**
 * Logging: the small structured logger interface the publisher's parts take,
 * with a console implementation and a silent one for tests. Security events
 * go to the server's audit log instead (signaling/audit/audit_log.ts).
 *
 * @example
 * ```ts
 * const log: Logger = consoleLogger;
 * log.warn("source restarted", { code: 1 });
 * ```
 * @module
 */

/** Structured logger: any object with these methods (console-compatible). */
export interface Logger {
  /** Routine events. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Recoverable problems (a restart). */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Failures. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Logger writing one line per event to the console. */
export const consoleLogger: Logger = {
  info: (m, f) => console.info(m, ...(f ? [f] : [])),
  warn: (m, f) => console.warn(m, ...(f ? [f] : [])),
  error: (m, f) => console.error(m, ...(f ? [f] : [])),
};

/** A logger that discards everything (tests). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
