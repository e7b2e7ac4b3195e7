/**
 * A real publisher process for tests and benchmarks: started through the
 * `publish` launcher, ready once it logs "online as", its output kept in a
 * log file (it holds no secrets).
 * @module
 */
import { localPublishArgs } from "./publish_command.ts";

/** Starts the publisher and waits until it is online. */
export async function startLocalPublisher(
  stateDir: string,
  o: {
    logFile: string;
    extra?: string[];
    command?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** The whole command line instead (e.g. `ip netns exec … deno run … publish.ts …`). */
    argv?: string[];
  },
): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(o.argv?.[0] ?? o.command ?? "deno", {
    args: o.argv ? o.argv.slice(1) : localPublishArgs(stateDir, o.extra),
    env: o.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let seen = "";
  const reader = child.stdout.getReader();
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  while (!/online as/.test(seen)) {
    if (Date.now() > deadline) throw new Error(`publisher not online: ${seen.slice(-300)}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`publisher exited: ${seen.slice(-300)}`);
    seen += decoder.decode(value);
  }
  reader.releaseLock();
  const log = await Deno.open(o.logFile, { create: true, append: true });
  const sink = () => new WritableStream<Uint8Array>({ write: (c) => log.write(c).then(() => {}) });
  child.stdout.pipeTo(sink()).catch(() => {});
  child.stderr.pipeTo(sink()).catch(() => {});
  return child;
}

/** Waits for `child` to exit, sending SIGKILL if it has not within `ms`. */
export async function waitOrKill(
  child: Deno.ChildProcess,
  ms: number,
): Promise<Deno.CommandStatus> {
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, ms);
  try {
    return await child.status;
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a child process with SIGTERM (SIGKILL after `graceMs`) and waits for it. */
export async function stopProcess(child: Deno.ChildProcess, graceMs = 10_000): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  await waitOrKill(child, graceMs);
}
