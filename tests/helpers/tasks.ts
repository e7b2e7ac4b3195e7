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

/** What a finished command printed and its exit code. */
export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `deno task <name> <args>`'s command to completion from the repo root,
 * with `stdin` written to it (else no stdin).
 */
export async function runTask(name: string, args: string[], stdin?: string): Promise<TaskResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...taskArgs(name), ...args],
    cwd: new URL("../..", import.meta.url),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}
