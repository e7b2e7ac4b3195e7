/**
 * Runs a vigil program in a child `deno run` with exactly the permissions its
 * configuration needs, forwarding signals and the exit code. The launcher
 * itself can only read and start `deno`.
 * @module
 */

/** Spawns `deno run <flags> <script> <args>` (with `env` added) and mirrors its exit. */
export async function launch(
  flags: string[],
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<never> {
  const child = new Deno.Command("deno", {
    args: ["run", ...flags, new URL(script, import.meta.url).pathname, ...args],
    env,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    });
  }
  const status = await child.status;
  Deno.exit(status.code);
}
