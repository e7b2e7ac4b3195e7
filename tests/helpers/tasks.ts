/**
 * The `deno` arguments of a `deno task` from deno.json, so that tests and
 * benchmarks start a launcher exactly as its task does (no hand copy of its
 * flags).
 *
 * @example
 * ```ts
 * taskArgs("publish"); // ["run", "--allow-read", "--allow-run=deno", "--allow-env=GLIBC_TUNABLES", "--allow-sys=networkInterfaces", "scripts/publish.ts"]
 * ```
 * @module
 */

const DENO_JSON = new URL("../../deno.json", import.meta.url);

/** The words after `deno` of a task's command (tasks here use no quoting). */
export function taskArgs(name: string): string[] {
  const tasks = JSON.parse(Deno.readTextFileSync(DENO_JSON)).tasks as Record<
    string,
    string | { command: string }
  >;
  const task = tasks[name];
  if (task === undefined) throw new Error(`deno.json has no task "${name}"`);
  const words = (typeof task === "string" ? task : task.command).trim().split(/\s+/);
  if (words[0] !== "deno" || /["'$&|;]/.test(words.join(" "))) {
    throw new Error(`task "${name}" is not a plain deno command: ${words.join(" ")}`);
  }
  return words.slice(1);
}
