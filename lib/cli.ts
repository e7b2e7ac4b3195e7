/**
 * Shared command-line conventions for every vigil task: `--help`, one-line
 * errors with a non-zero exit, and `--json` for machine-readable output.
 *
 * @example
 * ```ts
 * const args = parseCli(Deno.args, { name: "device:list", usage: "…", options: { json: { type: "boolean" } } });
 * ```
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Raised for bad usage; printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Options accepted by {@linkcode parseCli}. */
export interface CliSpec<O extends NonNullable<ParseArgsConfig["options"]>> {
  /** The task name shown in messages, e.g. `device:add`. */
  name: string;
  /** Full help text printed by `--help`. */
  usage: string;
  options: O;
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
}

/** Parses `argv` strictly; prints help and exits on `--help`. */
export function parseCli<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  spec: CliSpec<O>,
) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(spec.usage.trim());
    Deno.exit(0);
  }
  try {
    return parseArgs({
      args: argv,
      options: spec.options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see --help)`);
  }
}

/**
 * Runs a CLI main function: any thrown error becomes one clear line on stderr
 * and a non-zero exit code, never a stack trace (set VIGIL_DEBUG=1 for one).
 */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`${name}: error: ${message}`);
    if (debugEnabled()) console.error(err);
    Deno.exit(err instanceof UsageError ? 2 : 1);
  }
}

function debugEnabled(): boolean {
  try {
    return Deno.env.get("VIGIL_DEBUG") === "1";
  } catch {
    return false; // no env permission: least privilege wins over debugging
  }
}

/** Parses a duration such as `15m`, `90s`, `24h`, `7d` or plain milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration "${text}" (use e.g. 90s, 15m, 24h, 7d)`);
  const n = Number(m[1]);
  const unit = m[2] ?? "ms";
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return n * factor;
}

/** Parses a TCP port number, 0 meaning "any free port". */
export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${flag} must be a port number 0–65535, got "${text}"`);
  }
  return n;
}
