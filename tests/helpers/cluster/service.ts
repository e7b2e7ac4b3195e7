/**
 * Running a real server binary (postgres, nats-server, haproxy) for a test:
 * the child dies with the test process (`setpriv --pdeathsig SIGKILL`), its
 * output is kept in a bounded tail for error messages, and readiness is
 * polled with a deadline that also fails fast when the child exits.
 *
 * @example
 * ```ts
 * const svc = spawnService("nats-server", ["-c", conf]);
 * await waitReady(svc, "nats-server", () => canConnect(port));
 * await svc.stop();
 * ```
 * @module
 */
import { Buffer } from "node:buffer";

/** Bytes of output kept per service for diagnostics. */
const TAIL_BYTES = 16 * 1024;

/** The OS identity a service runs as (root's tests drop to it). */
export interface RunAs {
  uid: number;
  gid: number;
}

/** Options of {@link spawnService}. */
export interface SpawnOptions {
  /** Drop to this user and group (setpriv; the caller must be root). */
  runAs?: RunAs;
  /** Working directory. */
  cwd?: string;
  /** Extra environment (the rest of the test's environment is not passed on). */
  env?: Record<string, string>;
  /** Bytes written to the child's stdin, then closed. */
  stdin?: string;
}

/** A started server process. */
export interface ServiceProcess {
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Whether the process has exited. */
  readonly done: boolean;
  /** The last few KiB of its stdout and stderr. */
  output(): string;
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: Deno.Signal, graceMs?: number): Promise<void>;
}

/** The argv that runs `cmd` under setpriv: dies with its parent, optionally as another user. */
export function setprivArgs(cmd: string, args: readonly string[], runAs?: RunAs): string[] {
  const drop = runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, "--clear-groups"] : [];
  return ["--pdeathsig", "SIGKILL", ...drop, "--", cmd, ...args];
}

function minimalEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", LC_ALL: "C.UTF-8", ...extra };
}

/** Starts `cmd` with piped output; see {@link ServiceProcess}. */
export function spawnService(
  cmd: string,
  args: readonly string[],
  o: SpawnOptions = {},
): ServiceProcess {
  const child = new Deno.Command("setpriv", {
    args: setprivArgs(cmd, args, o.runAs),
    cwd: o.cwd,
    clearEnv: true,
    env: minimalEnv(o.env),
    stdin: o.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (o.stdin !== undefined) {
    const w = child.stdin.getWriter();
    w.write(new TextEncoder().encode(o.stdin)).then(() => w.close()).catch(() => {});
  }
  let tail = new Uint8Array(0);
  const keep = (chunk: Uint8Array) => {
    const joined = new Uint8Array(tail.length + chunk.length);
    joined.set(tail);
    joined.set(chunk, tail.length);
    tail = joined.slice(Math.max(0, joined.length - TAIL_BYTES));
  };
  const drain = (s: ReadableStream<Uint8Array>) =>
    s.pipeTo(new WritableStream({ write: keep })).catch(() => {});
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let done = false;
  const exited = child.status.then(async (s) => {
    done = true;
    await drained;
    return s;
  });
  return {
    pid: child.pid,
    exited,
    get done() {
      return done;
    },
    output: () => new TextDecoder().decode(tail),
    async stop(signal: Deno.Signal = "SIGTERM", graceMs = 10_000) {
      if (done) return;
      try {
        child.kill(signal);
      } catch {
        // exited meanwhile
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited meanwhile
        }
      }, graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs a command to completion (output captured); throws with its output when it fails. */
export async function runChecked(
  what: string,
  cmd: string,
  args: readonly string[],
  o: SpawnOptions = {},
): Promise<string> {
  const svc = spawnService(cmd, args, o);
  const status = await svc.exited;
  if (!status.success) {
    throw new Error(`${what} failed (exit ${status.code}):\n${svc.output().slice(-2000)}`);
  }
  return svc.output();
}

/** Options of {@link waitReady}. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `check` until it returns true. Throws with the service's output when
 * the deadline passes or the service exits first.
 */
export async function waitReady(
  svc: ServiceProcess,
  what: string,
  check: () => Promise<boolean> | boolean,
  o: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  for (;;) {
    if (svc.done) {
      const s = await svc.exited;
      throw new Error(`${what} exited (code ${s.code}) before it was ready:\n${tail(svc)}`);
    }
    let ok = false;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) {
      throw new Error(`${what} not ready within ${o.timeoutMs ?? 20_000} ms:\n${tail(svc)}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50));
  }
}

function tail(svc: ServiceProcess): string {
  return svc.output().slice(-2000) || "(no output)";
}

/** A loopback TCP port that was free a moment ago (the OS picks it). */
export function freePort(hostname = "127.0.0.1"): number {
  const l = Deno.listen({ hostname, port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Whether a TCP connection to `port` on loopback succeeds. */
export async function canConnect(port: number, hostname = "127.0.0.1"): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname, port });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * A fresh temporary directory, 0700, for one service: `/tmp/vigil-cluster-<name>-…`.
 * Always under /tmp (not $TMPDIR): a server dropped to another user must be
 * able to reach it, and Unix socket paths must stay short (108 bytes).
 */
export async function serviceDir(name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: `vigil-cluster-${name}-` });
  await Deno.chmod(dir, 0o700);
  return dir;
}

/** A random secret usable unquoted in config files and SQL literals (base64url, 256 bits). */
export function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}
