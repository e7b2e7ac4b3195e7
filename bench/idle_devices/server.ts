/**
 * The signaling server as its own process, for the idle-devices benchmark:
 * `signaling/main.ts` started with the exact least-privilege flags
 * `deno task serve` computes (`serverFlags`), on loopback with ephemeral
 * ports and a given data dir, so that its VmRSS is the server's alone.
 * Optionally with `--inspect` on loopback, to force a GC and read its heap.
 *
 * @example
 * ```ts
 * const srv = await spawnServer({ dataDir: "/tmp/d", inspect: true, log: console.log });
 * console.log(srv.publicUrl, srv.devicePort, await srv.sample());
 * await srv.stop();
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import { serverFlags } from "../../signaling/config/flags.ts";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { procStatusMiB } from "../lib/proc.ts";
import { Inspector, type MemoryUsage } from "./inspector.ts";
import { type FdLimit, LineBuffer, parseFdLimit, parseStartupLine } from "./util.ts";
import { stopProcess } from "../../tests/helpers/publisher_process.ts";

/** Memory and descriptors of the server at one moment. */
export interface ServerSample {
  /** VmRSS, KiB. */
  rssKiB: number;
  /** RssAnon (heap, stacks, malloc: not the mapped binary), KiB. */
  rssAnonKiB: number;
  /** Open file descriptors (sockets included). */
  fds: number;
  /** V8 heap and external memory (only with the inspector), KiB. */
  heapUsedKiB?: number;
  heapTotalKiB?: number;
  externalKiB?: number;
}

/** A running server process. */
export interface ServerProcess {
  pid: number;
  publicUrl: string;
  devicePort: number;
  caPem: string;
  /** The `deno run` flags it was started with. */
  flags: string[];
  fdLimit: FdLimit | null;
  /** Reads /proc (and the heap through the inspector, when on). */
  sample(): Promise<ServerSample>;
  /** Forces a full GC (inspector only); false when not available. */
  collectGarbage(): Promise<boolean>;
  /** The last lines the server printed (for error messages). */
  tail(): string[];
  stop(): Promise<void>;
}

/** Options of {@linkcode spawnServer}. */
export interface SpawnServerOptions {
  dataDir: string;
  /** Start with `--inspect=127.0.0.1:<free port>` to read the heap and force GC. */
  inspect: boolean;
  log: (s: string) => void;
  /** How long to wait for the listeners (default 60 s). */
  startTimeoutMs?: number;
}

function freeLoopbackPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function countFds(pid: number): number {
  let n = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
  return n;
}

/** Starts the server process and waits until both listeners are up. */
export async function spawnServer(o: SpawnServerOptions): Promise<ServerProcess> {
  const args = [
    "--data-dir",
    o.dataDir,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--device-port",
    "0",
    // No viewer bundle: the benchmark only uses the API.
    "--web-dir",
    `${o.dataDir}/web`,
  ];
  const flags = serverFlags(parseServeArgs(args, null));
  if (o.inspect) flags.push(`--inspect=127.0.0.1:${freeLoopbackPort()}`);
  const script = fileURLToPath(new URL("../../signaling/main.ts", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const recent: string[] = [];
  const facts: { publicUrl?: string; devicePort?: number; inspector?: string } = {};
  let onFact = () => {};
  // Keep reading both pipes for the whole run: a full pipe would stall the server.
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const lines = new LineBuffer();
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      for (const line of lines.push(dec.decode(chunk, { stream: true }))) {
        recent.push(line);
        if (recent.length > 40) recent.shift();
        const f = parseStartupLine(line);
        if (f?.kind === "publicUrl") facts.publicUrl = f.url;
        if (f?.kind === "devicePort") facts.devicePort = f.port;
        if (f?.kind === "inspector") facts.inspector = f.url;
        if (f) onFact();
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]).catch(() => {});
  const stopChild = async () => {
    await stopProcess(child);
    await pumps;
  };

  let inspector: Inspector | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("the server did not start in time")),
        o.startTimeoutMs ?? 60_000,
      );
      child.status.then((s) => reject(new Error(`the server exited (${s.code})`)));
      onFact = () => {
        if (facts.publicUrl && facts.devicePort && (!o.inspect || facts.inspector)) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
    if (facts.inspector) inspector = await Inspector.connect(facts.inspector);
  } catch (err) {
    await stopChild();
    throw new Error(`${(err as Error).message}:\n  ${recent.join("\n  ")}`);
  }
  const pid = child.pid;
  o.log(`server pid ${pid}: ${facts.publicUrl}, devices on port ${facts.devicePort}`);

  return {
    pid,
    publicUrl: facts.publicUrl!,
    devicePort: facts.devicePort!,
    caPem: await Deno.readTextFile(`${o.dataDir}/pki/ca.pem`),
    flags,
    fdLimit: parseFdLimit(await Deno.readTextFile(`/proc/${pid}/limits`)),
    async sample() {
      const s: ServerSample = {
        rssKiB: procStatusMiB(pid, "VmRSS") * 1024,
        rssAnonKiB: procStatusMiB(pid, "RssAnon") * 1024,
        fds: countFds(pid),
      };
      if (inspector) {
        const m: MemoryUsage = await inspector.memoryUsage();
        s.heapUsedKiB = Math.round(m.heapUsed / 1024);
        s.heapTotalKiB = Math.round(m.heapTotal / 1024);
        s.externalKiB = Math.round(m.external / 1024);
      }
      return s;
    },
    async collectGarbage() {
      if (!inspector) return false;
      await inspector.collectGarbage();
      return true;
    },
    tail: () => [...recent],
    async stop() {
      inspector?.close();
      await stopChild();
    },
  };
}
