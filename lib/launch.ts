/**
 * Runs a vigil program in a child `deno run` with exactly the flags its
 * options need (computed by the program's own pure `…Flags` function),
 * forwarding signals and the exit code. A launcher itself can only read and
 * start `deno`. `--print-flags` prints the flags instead of running.
 *
 * @example
 * ```ts
 * const settings = await readServeArgs(Deno.args);
 * await launch(serverFlags(settings), new URL("../signaling/main.ts", import.meta.url), Deno.args);
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

/** Options of {@linkcode launch}. */
export interface LaunchOptions {
  /**
   * An exit code that means "run me again": the flags are computed anew by
   * `reflags` (the program changed what they are computed from) and the
   * program starts again. Any other exit code is mirrored.
   */
  relaunch?: { exitCode: number; reflags: () => Promise<string[]> };
}

/**
 * Spawns `deno run <flags> <program> <args>` (with `env` added) and mirrors
 * its exit; with `--print-flags` in `args` prints the flags and exits 0.
 */
export async function launch(
  flags: string[],
  program: URL,
  args: string[],
  env: Record<string, string> = {},
  o: LaunchOptions = {},
): Promise<never> {
  if (args.includes("--print-flags")) {
    console.log(flags.join(" "));
    Deno.exit(0);
  }
  let child: Deno.ChildProcess | null = null;
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      stopping = true;
      try {
        child?.kill(sig);
      } catch {
        // already gone
      }
    });
  }
  while (true) {
    child = new Deno.Command("deno", {
      args: ["run", ...flags, fileURLToPath(program), ...args],
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    if (stopping || !o.relaunch || status.code !== o.relaunch.exitCode) Deno.exit(status.code);
    flags = await o.relaunch.reflags();
  }
}
