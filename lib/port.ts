/**
 * TCP port numbers on the command line.
 *
 * @example
 * ```ts
 * parsePort("8443", "--port"); // 8443
 * ```
 * @module
 */
import { UsageError } from "./cli.ts";

/** Parses a TCP port number, 0 meaning "any free port". */
export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${flag} must be a port number 0–65535, got "${text}"`);
  }
  return n;
}
