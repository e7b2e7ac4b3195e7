/**
 * A real HAProxy (Debian's 2.6) for a test: a generated config (see
 * haproxy_config.ts) with random loopback frontend ports, the admin stats
 * socket in a private temporary directory, ready when every frontend is open.
 * The node states come from the runtime API, so a test can wait for a
 * failover instead of sleeping.
 *
 * @example
 * ```ts
 * await using lb = await startHaproxy({ listeners: [{ name: "public",
 *   check: { kind: "tcp" }, nodes: [{ name: "a", host: "127.0.0.1", port: 9001 }] }] });
 * await lb.waitForNode("public", "a", "UP");
 * Deno.connect({ hostname: "127.0.0.1", port: lb.ports.public });
 * ```
 * @module
 */
import { writeSecretFile } from "../../../pki/mod.ts";
import { haproxyConfig, type HaproxyConfigOptions, type Listener } from "./haproxy_config.ts";
import { isCheckedUp, parseShowStat, type StatRow } from "./haproxy_stats.ts";
import { freePort, serviceDir, type ServiceProcess, spawnService, waitReady } from "./service.ts";

/** Options of {@link startHaproxy}: listeners without their bind address (it is chosen here). */
export interface StartHaproxyOptions
  extends Omit<HaproxyConfigOptions, "statsSocket" | "listeners"> {
  listeners: Omit<Listener, "bind">[];
}

/** A running HAProxy; `close()` (or `await using`) stops it and removes its files. */
export interface HaproxyServer extends AsyncDisposable {
  /** Frontend port of each listener, by name. */
  readonly ports: Record<string, number>;
  /** The generated configuration (for failure messages). */
  readonly config: string;
  /** `show stat` over the admin socket. */
  stats(): Promise<StatRow[]>;
  /** One node's row as HAProxy sees it (status `UP`, `DOWN`, `UP 1/2`, … and last check). */
  node(listener: string, node: string): Promise<StatRow | undefined>;
  /** Waits until a node is down, or up with a passed health check. */
  waitForNode(
    listener: string,
    node: string,
    status: "UP" | "DOWN",
    timeoutMs?: number,
  ): Promise<void>;
  output(): string;
  close(): Promise<void>;
}

/** Sends one runtime API command to the admin socket and returns the answer. */
export async function runtimeCommand(socket: string, command: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  try {
    await conn.write(new TextEncoder().encode(`${command}\n`));
    return await new Response(conn.readable).text(); // the socket closes after one command
  } catch (err) {
    conn.close();
    throw err;
  }
}

/** Starts HAProxy; retries with other ports if one was taken meanwhile. */
export async function startHaproxy(o: StartHaproxyOptions): Promise<HaproxyServer> {
  const dir = await serviceDir("haproxy");
  let proc: ServiceProcess | undefined;
  try {
    const statsSocket = `${dir}/admin.sock`;
    const stats = async () => parseShowStat(await runtimeCommand(statsSocket, "show stat"));
    let config = "";
    let ports: Record<string, number> = {};
    for (let attempt = 1;; attempt++) {
      ports = Object.fromEntries(o.listeners.map((l) => [l.name, freePort()]));
      config = haproxyConfig({
        ...o,
        statsSocket,
        listeners: o.listeners.map((l) => ({
          ...l,
          bind: { host: "127.0.0.1", port: ports[l.name] },
        })),
      });
      const file = `${dir}/haproxy.cfg`;
      await Deno.remove(file).catch(() => {});
      await writeSecretFile(file, config);
      const p = spawnService("haproxy", ["-db", "-f", file]);
      try {
        await waitReady(p, "haproxy", async () => {
          const rows = await stats();
          return o.listeners.every((l) =>
            rows.some((r) => r.proxy === l.name && r.server === "FRONTEND" && r.status === "OPEN")
          );
        });
        proc = p;
        break;
      } catch (err) {
        await p.stop("SIGKILL");
        if (attempt >= 3 || !/cannot bind socket/i.test(p.output())) throw err;
      }
    }
    const node = async (listener: string, name: string) =>
      (await stats()).find((r) => r.proxy === `${listener}_nodes` && r.server === name);
    const close = async () => {
      await proc?.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true });
    };
    const running = proc as ServiceProcess;
    return {
      ports,
      config,
      stats,
      node,
      async waitForNode(listener, name, status, timeoutMs = 15_000) {
        await waitReady(
          running,
          `haproxy node ${listener}/${name} ${status}`,
          async () => {
            const row = await node(listener, name);
            return status === "UP" ? isCheckedUp(row) : !!row?.status.startsWith("DOWN");
          },
          { timeoutMs, intervalMs: 100 },
        );
      },
      output: () => running.output(),
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await proc?.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}
