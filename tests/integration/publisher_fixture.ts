/**
 * Fixture for tests of the real publisher process: a real server
 * ({@linkcode startTestServer}), a device enrolled through the real client
 * into a temp state dir, and the publisher started through its launcher
 * (`scripts/publish.ts`, which computes the least-privilege flags), plus
 * /proc helpers to find the launcher's child and its children.
 * @module
 */
import { enrollInto, startTestServer, type TestServer } from "../helpers/server.ts";

/** Repo root (the publisher runs from here, as `deno task publish` does). */
export const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

import { localViewerNetArgs as localViewerNets } from "../../publisher/config/local_networks.ts";
import { stopProcess } from "../helpers/publisher_process.ts";
import { taskArgs } from "../helpers/tasks.ts";
export { localViewerNets };

/** A running publisher with its server. */
export interface PublisherRig {
  server: TestServer;
  deviceId: string;
  stateDir: string;
  /** The arguments given to `scripts/publish.ts`. */
  args: string[];
  /** The launcher process (`deno task publish`'s command). */
  launcher: Deno.ChildProcess;
  /** Everything the publisher printed so far (stdout + stderr). */
  log(): string;
  /** Waits until the log matches `re` (after `from` characters). */
  waitForLog(re: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** PID of the real publisher (`deno run <flags> publisher/main.ts`), child of the launcher. */
  publisherPid(): Promise<number>;
  /** Stops the publisher, the server and removes the temp dirs. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startPublisherRig}. */
export interface RigOptions {
  deviceId: string;
  source: "file" | "synthetic";
  /** `--viewer-net` values (default the local interfaces). */
  viewerNets?: string[];
}

/** `deno task publish <args> --print-flags`: the launcher's computed flags. */
export async function printFlags(args: string[]): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...taskArgs("publish"), ...args, "--print-flags"],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`--print-flags failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text.split(/\s+/);
}

/** Starts server, enrolls a device, starts the publisher and waits until it is online. */
export async function startPublisherRig(o: RigOptions): Promise<PublisherRig> {
  const server = await startTestServer();
  const stateDir = await Deno.makeTempDir({ prefix: "vigil-pubstate-" });
  let launcher: Deno.ChildProcess | null = null;
  try {
    await enrollInto(server, o.deviceId, stateDir, `${o.deviceId} camera`);
    const nets = o.viewerNets
      ? o.viewerNets.flatMap((n) => ["--viewer-net", n])
      : localViewerNets();
    const args = ["--state-dir", stateDir, "--source", o.source, ...nets];
    const proc = new Deno.Command(Deno.execPath(), {
      args: [...taskArgs("publish"), ...args],
      cwd: REPO,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    launcher = proc;
    let text = "";
    const waiters = new Set<() => void>();
    const pump = (s: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      return s.pipeTo(
        new WritableStream<Uint8Array>({
          write(chunk) {
            text += decoder.decode(chunk, { stream: true });
            for (const w of waiters) w();
          },
        }),
      ).catch(() => {});
    };
    const pumps = [pump(proc.stdout), pump(proc.stderr)];
    let exited = false;
    proc.status.then(() => {
      exited = true;
      for (const w of waiters) w();
    });

    const waitForLog = (re: RegExp, timeoutMs = 30_000, from = 0) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const m = text.slice(from).match(re);
          if (m) return done(() => resolve(m));
          if (exited) {
            return done(() =>
              reject(new Error(`publisher exited before ${re}: ${text.slice(-1500)}`))
            );
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timeout waiting for ${re}: ${text.slice(-1500)}`))),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });

    let pid: number | null = null;
    const publisherPid = async () => {
      if (pid !== null) return pid;
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        const found = (await childrenOf(proc.pid)).filter((p) =>
          p.cmdline.some((a) => a.endsWith("publisher/main.ts")) && p.cmdline.includes(stateDir)
        );
        if (found.length === 1) return pid = found[0].pid;
        if (found.length > 1) throw new Error(`several publishers: ${JSON.stringify(found)}`);
        await sleep(50);
      }
      throw new Error("publisher child process not found in /proc");
    };

    const rig: PublisherRig = {
      server,
      deviceId: o.deviceId,
      stateDir,
      args,
      launcher: proc,
      log: () => text,
      waitForLog,
      publisherPid,
      async stop() {
        await stopProcess(proc);
        await Promise.all(pumps);
        await server.stop();
        await Deno.remove(stateDir, { recursive: true });
      },
    };
    await waitForLog(/online as /);
    return rig;
  } catch (err) {
    if (launcher) {
      try {
        launcher.kill("SIGKILL");
      } catch {
        // gone
      }
      await launcher.status;
    }
    await server.stop();
    await Deno.remove(stateDir, { recursive: true });
    throw err;
  }
}

/** A process seen in /proc. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string[];
}

/** Reads /proc/<pid>; null when it is gone (or a zombie without cmdline). */
export async function procInfo(pid: number): Promise<ProcInfo | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // "pid (comm) state ppid …": comm may contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (rest[0] === "Z") return null;
    const raw = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return { pid, ppid: Number(rest[1]), cmdline: raw.split("\0").filter((a) => a !== "") };
  } catch {
    return null;
  }
}

/** Live (non-zombie) direct children of `ppid`. */
export async function childrenOf(ppid: number): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const p = await procInfo(Number(e.name));
    if (p && p.ppid === ppid) out.push(p);
  }
  return out;
}

/** A TCP socket of a process, from /proc/<pid>/net/tcp{,6} joined with its fds. */
export interface OwnedSocket {
  inode: string;
  state: string;
  local: string;
  remote: string;
  family: "tcp" | "tcp6";
}

/** TCP sockets whose inode is open in one of `pid`'s file descriptors. */
export async function tcpSocketsOf(pid: number): Promise<OwnedSocket[]> {
  const inodes = new Set<string>();
  for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
    try {
      const m = (await Deno.readLink(`/proc/${pid}/fd/${e.name}`)).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const out: OwnedSocket[] = [];
  for (const family of ["tcp", "tcp6"] as const) {
    const table = await Deno.readTextFile(`/proc/${pid}/net/${family}`);
    for (const line of table.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (inodes.has(f[9])) {
        out.push({ inode: f[9], local: f[1], remote: f[2], state: f[3], family });
      }
    }
  }
  return out;
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
