/**
 * Test-side handles on the small probe programs that run inside the
 * namespaces: UDP echo servers (what reached them, from where) and the
 * werift TURN client.
 * @module
 */
import type { Role, Topology } from "./_topology.ts";

const PROBE_DIR = new URL(".", import.meta.url).pathname;

/** A UDP echo server in a namespace, recording every datagram it got. */
export interface EchoServer {
  /** `from` address of every datagram received so far. */
  readonly received: string[];
  stop(): Promise<void>;
}

/** Starts `_udp_probe.ts echo` in `role` on `host` and `ports`; resolves once bound. */
export async function startEcho(
  topo: Topology,
  role: Role,
  host: string,
  ports: number[],
): Promise<EchoServer> {
  const child = topo.spawn(role, "deno", [
    "run",
    "--allow-net",
    `${PROBE_DIR}_udp_probe.ts`,
    "echo",
    host,
    ...ports.map(String),
  ], { stdout: "piped", stderr: "inherit", stdin: "null" });
  const received: string[] = [];
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "listening") ready();
        const m = /^got (\S+)/.exec(line);
        if (m) received.push(m[1]);
      }
    }
  })().catch(() => {});
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`echo in ${role} did not bind within 15 s`)), 15_000)
  );
  try {
    await Promise.race([
      listening,
      timeout,
      child.status.then(() => {
        throw new Error(`echo in ${role} exited`);
      }),
    ]);
  } catch (err) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw err;
  }
  return {
    received,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

/** Runs the werift TURN client probe in `role` with `plan`; returns its JSON result. */
export async function turnProbe<T = unknown>(
  topo: Topology,
  role: Role,
  plan: Record<string, unknown>,
  timeoutMs = 60_000,
): Promise<T> {
  const r = await topo.run(role, "deno", [
    "run",
    "--allow-net",
    "--allow-sys=networkInterfaces",
    "--ignore-env",
    `${PROBE_DIR}_turn_probe.ts`,
    JSON.stringify(plan),
  ], { timeoutMs });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `turn probe failed (${r.code}): ${r.stderr.slice(-1500)} ${r.stdout.slice(-500)}`,
    );
  }
}

/** The NAT mappings a host gets: `_udp_probe.ts ask` towards `dests`. */
export async function natMappings(
  topo: Topology,
  role: Role,
  dests: string[],
): Promise<Record<string, string | null>> {
  const r = await topo.run(role, "deno", [
    "run",
    "--allow-net",
    `${PROBE_DIR}_udp_probe.ts`,
    "ask",
    ...dests,
  ]);
  if (r.code !== 0) throw new Error(`udp probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}
