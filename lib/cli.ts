/**
 * Command-line conventions shared by every vigil program: `--help`, strict
 * parsing (both `--opt=value` and `--opt value`), one-line errors with a
 * non-zero exit (2 for bad usage, 1 otherwise), never a stack trace.
 *
 * @example
 * ```ts
 * await runMain("device:list", async () => {
 *   const { values } = parseCli(Deno.args, {
 *     name: "device:list",
 *     usage: "deno task device:list [--json]",
 *     options: { json: { type: "boolean" } },
 *   });
 *   console.log(values.json ? "[]" : "no devices");
 * });
 * ```
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Raised for bad usage; printed as one line, exit code 2. */
export class UsageError extends Error {}

/** The option table of {@linkcode parseCli} (node:util `parseArgs` options). */
export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/** Options accepted by {@linkcode parseCli}. */
export interface CliSpec<O extends CliOptions> {
  /** The task name shown in messages, e.g. `device:add`. */
  name: string;
  /** Full help text printed by `--help`. */
  usage: string;
  options: O;
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
}

/** Parses `argv` strictly; prints help and exits on `--help`. */
export function parseCli<O extends CliOptions>(argv: string[], spec: CliSpec<O>) {
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
