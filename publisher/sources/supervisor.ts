/**
 * Runs an external process (ffmpeg, rpicam-vid) for as long as it is wanted:
 * restarts it with exponential backoff when it dies, keeps the last lines of
 * its stderr and logs them once per exit (never line by line), and makes sure
 * the child does not outlive the supervisor: {@linkcode ProcessSupervisor.stop}
 * escalates to SIGKILL, and {@linkcode killSupervisedChildren} /
 * {@linkcode installChildCleanup} cover process exit and signals.
 *
 * @module
 */

import { sleep } from "./pacer.ts";
import { consoleLogger, type Logger } from "../../lib/log.ts";

/** What to run. */
export interface ProcessCommand {
  /** Executable (name on PATH or absolute path); must be allowed by `--allow-run`. */
  binary: string;
  /** Arguments, passed without a shell. */
  args: string[];
}

/** Exponential backoff between restarts. */
export interface BackoffOptions {
  /** First delay (default 500 ms). */
  initialMs?: number;
  /** Largest delay (default 30 s). */
  maxMs?: number;
  /** Growth factor (default 2). */
  factor?: number;
  /** A run at least this long resets the delay to `initialMs` (default 10 s). */
  resetAfterMs?: number;
}

/** How one run of the process ended. */
export interface ExitInfo {
  /** Exit code (null if it could not be spawned). */
  code: number | null;
  /** Terminating signal, if any. */
  signal: string | null;
  /** How long it ran. */
  runtimeMs: number;
  /** Last stderr lines. */
  stderr: string[];
  /** True when the exit was requested by stop(). */
  requested: boolean;
}

/** Options of {@linkcode ProcessSupervisor}. */
export interface SupervisorOptions {
  /** Name used in logs. */
  name: string;
  /** Builds the command for each (re)start. */
  command: () => ProcessCommand | Promise<ProcessCommand>;
  /** Pipe the child's stdin (for the recorder); default "null". */
  stdin?: "null" | "piped";
  /** Called with each stdout chunk (stdout is discarded when absent). */
  onStdout?: (chunk: Uint8Array) => void;
  /** Called right after each successful spawn. */
  onStart?: (child: Deno.ChildProcess) => void;
  /** Called after each exit (before any restart). */
  onExit?: (info: ExitInfo) => void;
  /** Restart delays. */
  backoff?: BackoffOptions;
  /**
   * First step of stop(): e.g. close stdin so the child finishes its output.
   * Default: send SIGTERM.
   */
  gracefulStop?: (child: Deno.ChildProcess) => void | Promise<void>;
  /** Time allowed after each stop step (graceful, SIGTERM) before the next; default 3000 ms. */
  stopTimeoutMs?: number;
  /** stderr lines kept (default 20). */
  stderrLines?: number;
  /** stderr lines logged per exit (default 5). */
  stderrLogLines?: number;
  /** Logger (default console). */
  logger?: Logger;
}

const live = new Set<Deno.ChildProcess>();
const supervisors = new Set<ProcessSupervisor>();
let unloadInstalled = false;

function track(child: Deno.ChildProcess): void {
  live.add(child);
  if (!unloadInstalled) {
    unloadInstalled = true;
    globalThis.addEventListener("unload", killSupervisedChildren);
  }
}

/** Resolves true if `promise` settles within `ms`, else false; never leaves a timer behind. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // already exited
  }
}

/**
 * Sends SIGKILL to every child a supervisor has spawned and not yet reaped.
 * Synchronous, so it can run in an `unload` handler (installed automatically).
 *
 * @example
 * ```ts
 * globalThis.addEventListener("unload", killSupervisedChildren);
 * ```
 */
export function killSupervisedChildren(): void {
  for (const child of live) kill(child, "SIGKILL");
}

/** Number of supervised children currently alive (for tests and health checks). */
export function supervisedChildCount(): number {
  return live.size;
}

/**
 * Installs SIGINT/SIGTERM handlers that stop every running supervisor the
 * graceful way (its `gracefulStop`, e.g. the recorder closing ffmpeg's stdin so
 * the current segment is finalized, else SIGTERM), wait up to `graceMs`,
 * SIGKILL what is left, and exit with 128 + signal number. Call once from the
 * entry point if nothing else handles these signals (otherwise call
 * `stop()` on your sources and recorder from your own handler); the returned
 * function removes the handlers.
 *
 * @example
 * ```ts
 * const uninstall = installChildCleanup({ graceMs: 3000 });
 * ```
 */
export function installChildCleanup(
  options: { graceMs?: number; signals?: Deno.Signal[] } = {},
): () => void {
  const graceMs = options.graceMs ?? 3000;
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  const numbers: Partial<Record<Deno.Signal, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
  const handlers = signals.map((signal) => {
    const handler = async () => {
      const stopping = [...supervisors].map((s) => s.stop());
      await settlesWithin(Promise.allSettled(stopping), graceMs);
      killSupervisedChildren();
      Deno.exit(128 + (numbers[signal] ?? 15));
    };
    Deno.addSignalListener(signal, handler);
    return { signal, handler };
  });
  return () => {
    for (const { signal, handler } of handlers) Deno.removeSignalListener(signal, handler);
  };
}

/**
 * Keeps one external process running; see the module documentation.
 *
 * @example
 * ```ts
 * const sup = new ProcessSupervisor({
 *   name: "camera",
 *   command: () => ({ binary: "rpicam-vid", args: ["-t", "0", "-o", "-"] }),
 *   onStdout: (chunk) => parser.push(chunk),
 * });
 * sup.start();
 * await sup.stop(); // the child is gone when this resolves
 * ```
 */
export class ProcessSupervisor {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #child: Deno.ChildProcess | null = null;
  #loop: Promise<void> | null = null;
  #stopping = false;
  #restarts = 0;
  #stderr: string[] = [];

  /** Creates a supervisor; nothing runs before {@linkcode start}. */
  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#log = options.logger ?? consoleLogger;
  }

  /** The running child's pid, if any. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** True from start() until stop() resolves. */
  get running(): boolean {
    return this.#loop !== null && !this.#stopping;
  }

  /** Restarts so far. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The last stderr lines of the current or last run. */
  get stderrTail(): string[] {
    return [...this.#stderr];
  }

  /** Starts the process and keeps it running. Calling it twice is a no-op. */
  start(): void {
    if (this.#loop || this.#stopping) return;
    supervisors.add(this);
    this.#loop = this.#run().finally(() => supervisors.delete(this));
  }

  /** Stops the process (graceful step, SIGTERM, then SIGKILL) and ends supervision. */
  async stop(): Promise<void> {
    if (this.#stopping) return await this.#loop ?? undefined;
    this.#stopping = true;
    this.#abort.abort(new Error("stopped"));
    const child = this.#child;
    if (child) await this.#terminate(child);
    await this.#loop;
  }

  async #terminate(child: Deno.ChildProcess): Promise<void> {
    const timeout = this.#o.stopTimeoutMs ?? 3000;
    const exited = () => settlesWithin(child.status, timeout);
    const gracefulStop = this.#o.gracefulStop;
    if (gracefulStop) {
      // Bounded: e.g. closing stdin can wait behind a full pipe.
      await settlesWithin(Promise.resolve().then(() => gracefulStop(child)), timeout);
      if (await exited()) return;
    }
    kill(child, "SIGTERM");
    if (await exited()) return;
    this.#log.warn(`${this.#o.name}: no exit after SIGTERM, sending SIGKILL`, { pid: child.pid });
    kill(child, "SIGKILL");
    await child.status.catch(() => {});
  }

  async #run(): Promise<void> {
    const b = this.#o.backoff ?? {};
    const initial = b.initialMs ?? 500;
    let delay = initial;
    while (!this.#stopping) {
      const started = performance.now();
      const info = await this.#runOnce();
      const runtimeMs = performance.now() - started;
      if (runtimeMs >= (b.resetAfterMs ?? 10_000)) delay = initial;
      if (this.#stopping) break;
      this.#restarts++;
      this.#log.warn(`${this.#o.name} exited; restarting in ${Math.round(delay)} ms`, {
        code: info.code,
        signal: info.signal,
        runtimeMs: Math.round(info.runtimeMs),
        restarts: this.#restarts,
        stderr: info.stderr.slice(-(this.#o.stderrLogLines ?? 5)),
      });
      try {
        await sleep(delay, this.#abort.signal);
      } catch {
        break;
      }
      delay = Math.min(delay * (b.factor ?? 2), b.maxMs ?? 30_000);
    }
  }

  async #runOnce(): Promise<ExitInfo> {
    const started = performance.now();
    this.#stderr = [];
    let child: Deno.ChildProcess;
    try {
      const { binary, args } = await this.#o.command();
      child = new Deno.Command(binary, {
        args,
        stdin: this.#o.stdin ?? "null",
        stdout: this.#o.onStdout ? "piped" : "null",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      const info: ExitInfo = {
        code: null,
        signal: null,
        runtimeMs: 0,
        stderr: [`spawn failed: ${error instanceof Error ? error.message : String(error)}`],
        requested: this.#stopping,
      };
      this.#stderr = info.stderr;
      this.#o.onExit?.(info);
      return info;
    }
    track(child);
    this.#child = child;
    if (this.#stopping) kill(child, "SIGKILL"); // stop() raced with the spawn
    try {
      this.#o.onStart?.(child);
    } catch (error) {
      this.#log.error(`${this.#o.name}: onStart failed`, { error: String(error) });
      kill(child, "SIGKILL");
    }
    const pumps = [this.#pumpStderr(child.stderr)];
    if (this.#o.onStdout) pumps.push(this.#pumpStdout(child, child.stdout, this.#o.onStdout));
    const status = await child.status;
    live.delete(child);
    this.#child = null;
    // A grandchild could hold the pipes open: do not wait for them forever.
    await settlesWithin(Promise.allSettled(pumps), 1000);
    const info: ExitInfo = {
      code: status.code,
      signal: status.signal,
      runtimeMs: performance.now() - started,
      stderr: [...this.#stderr],
      requested: this.#stopping,
    };
    try {
      this.#o.onExit?.(info);
    } catch (error) {
      this.#log.error(`${this.#o.name}: onExit failed`, { error: String(error) });
    }
    return info;
  }

  async #pumpStdout(
    child: Deno.ChildProcess,
    stdout: ReadableStream<Uint8Array>,
    onStdout: (chunk: Uint8Array) => void,
  ): Promise<void> {
    try {
      for await (const chunk of stdout) {
        try {
          onStdout(chunk);
        } catch (error) {
          this.#log.error(`${this.#o.name}: stdout handler failed; killing the process`, {
            error: String(error),
          });
          kill(child, "SIGKILL");
          break;
        }
      }
    } catch {
      // pipe closed
    }
  }

  async #pumpStderr(stderr: ReadableStream<Uint8Array>): Promise<void> {
    const keep = this.#o.stderrLines ?? 20;
    const decoder = new TextDecoder();
    let partial = "";
    const add = (line: string) => {
      const text = line.trim();
      if (!text) return;
      this.#stderr.push(text.length > 300 ? `${text.slice(0, 300)}…` : text);
      if (this.#stderr.length > keep) this.#stderr.splice(0, this.#stderr.length - keep);
    };
    try {
      for await (const chunk of stderr) {
        partial += decoder.decode(chunk, { stream: true });
        const lines = partial.split(/\r\n|\r|\n/);
        partial = lines.pop() ?? "";
        if (partial.length > 4096) partial = partial.slice(-4096);
        for (const line of lines) add(line);
      }
    } catch {
      // pipe closed
    }
    add(partial);
  }
}
