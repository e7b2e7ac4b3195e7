/**
 * A signaling node as a real process for cluster tests: `deno run` with
 * exactly the flags `serverFlags` computes for its options (what
 * `deno task serve` runs), fixed loopback ports so that it can be killed
 * and started again where the load balancer expects it, its output kept
 * for failure messages.
 *
 * @example
 * ```ts
 * const a = await startNodeProcess({ nodeId: "a", args: ["--store", pg.url, …] });
 * await a.kill();   // SIGKILL
 * await a.start();  // same ports and data dir
 * ```
 * @module
 */
import { serverFlags } from "../../../signaling/config/flags.ts";
import { parseServeArgs } from "../../../signaling/config/options.ts";
import { freePort } from "./service.ts";

const MAIN = new URL("../../../signaling/main.ts", import.meta.url).pathname;

/** A node process. */
export interface NodeProcess {
  readonly nodeId: string;
  readonly publicPort: number;
  readonly devicePort: number;
  readonly dataDir: string;
  /** The full argument list (for operator commands: the same store settings). */
  readonly args: string[];
  readonly running: boolean;
  /** How many times the process exited without being told to (a crash). */
  readonly crashes: number;
  /** Starts it (again) and waits until its public port answers `/healthz`. */
  start(): Promise<void>;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  output(): string;
  close(): Promise<void>;
}

/** Creates (and starts) a node. `args`: the cluster settings (--store, --bus, …). */
export async function startNodeProcess(
  o: { nodeId: string; args: string[]; webDir: string; publicPort?: number; devicePort?: number },
): Promise<NodeProcess> {
  const dataDir = await Deno.makeTempDir({ prefix: `vigil-node-${o.nodeId}-` });
  const publicPort = o.publicPort ?? freePort();
  const devicePort = o.devicePort ?? freePort();
  const args = [
    "--data-dir",
    dataDir,
    "--host",
    "127.0.0.1",
    "--port",
    String(publicPort),
    "--device-port",
    String(devicePort),
    "--web-dir",
    o.webDir,
    "--node-id",
    o.nodeId,
    ...o.args,
  ];
  const flags = serverFlags(parseServeArgs(args, null));
  let child: Deno.ChildProcess | null = null;
  let exited: Promise<Deno.CommandStatus> | null = null;
  let log = "";
  let crashes = 0;
  let expecting = false;
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const d = new TextDecoder();
    for await (const c of s) log = (log + d.decode(c)).slice(-20_000);
  };
  const node: NodeProcess = {
    nodeId: o.nodeId,
    publicPort,
    devicePort,
    dataDir,
    args,
    get running() {
      return child !== null;
    },
    get crashes() {
      return crashes;
    },
    async start() {
      if (child) return;
      child = new Deno.Command("deno", {
        args: ["run", ...flags, MAIN, ...args],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      pump(child.stdout).catch(() => {});
      pump(child.stderr).catch(() => {});
      expecting = false;
      const mine = child;
      exited = child.status.then((st) => {
        if (!expecting) {
          crashes++;
          if (child === mine) child = null;
        }
        return st;
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const done = await Promise.race([
          exited.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), 100)),
        ]);
        if (done) {
          child = null;
          throw new Error(`node ${o.nodeId} exited at start:\n${log.slice(-2000)}`);
        }
        if (/viewers and enrollment on/.test(log)) return;
        if (Date.now() > deadline) throw new Error(`node ${o.nodeId} did not start:\n${log}`);
      }
    },
    async kill() {
      if (!child) return;
      expecting = true;
      child.kill("SIGKILL");
      await exited;
      child = null;
    },
    async stop() {
      if (!child) return;
      expecting = true;
      child.kill("SIGTERM");
      await exited;
      child = null;
    },
    output: () => log,
    async close() {
      await node.kill();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
  await node.start();
  return node;
}
