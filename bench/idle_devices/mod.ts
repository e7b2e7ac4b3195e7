/**
 * Memory per idle connected device (issue #8, item 4). The signaling server
 * runs in its own process (`signaling/main.ts` with the flags `deno task
 * serve` computes); N devices are registered (`device:add`) and enrolled over
 * `POST /enroll` with real CSRs; one or a few client processes then hold N
 * real mTLS WebSockets to the device listener with cert-bound device JWTs,
 * sending heartbeats only. The server is read (VmRSS, fds, idle CPU, and
 * through `--inspect` its V8 heap after a forced GC) with 0 devices connected
 * (after the same enrollment work and a warm-up of the device path, so code
 * and caches are warm), with N connected, after all disconnect, and after a
 * second connect/disconnect cycle (leak check). Presence must show N online;
 * viewer request latency is compared at 0 and N connected.
 *
 * `deno run -A bench/idle_devices/mod.ts [N] [--no-inspect]` prints progress and a JSON result;
 * {@linkcode benchIdleDevices} does the same for the orchestrator
 * (bench/run.ts). It starts and stops everything itself and removes its temp
 * dir, also on failure.
 * @module
 */
import { userAdd } from "../../signaling/admin/commands.ts";
import { procCpuSeconds } from "../lib/proc.ts";
import { progressLog, round } from "../lib/stats.ts";
import type { ChildConfig } from "./child.ts";
import { type ClientProcess, spawnClient } from "./clients.ts";
import { enrollDevices, registerDevices } from "./enroll.ts";
import { type PhaseReading, readPhase } from "./phase.ts";
import { type ServerProcess, spawnServer } from "./server.ts";
import { type FdLimit, type MsSummary, perDeviceKiB, splitRanges } from "./util.ts";
import { type Viewer, viewerSession, waitOnline } from "./viewer.ts";

/** Options of {@linkcode benchIdleDevices}. */
export interface IdleDevicesOptions {
  /** Devices to connect (default 1000). */
  devices?: number;
  /** Progress output (default: console.log with elapsed seconds). */
  log?: (s: string) => void;
  /** Client processes sharing the devices (default 1). */
  clientProcesses?: number;
  /** Seconds to let the server settle before each reading (default 10: over 3 heartbeats). */
  settleS?: number;
  /** Run the server with `--inspect` on loopback to force GC and read its heap (default true). */
  inspect?: boolean;
  /** Aborting stops the processes; the run then fails and cleans up. */
  signal?: AbortSignal;
}

/** One connect-all or disconnect-all step. */
export interface ConnectStep {
  /** Wall time until every client reported all its channels open (welcome received, hello sent). */
  totalMs: number;
  /** Wall time until presence showed all of them online. */
  allOnlineMs: number;
  /** Server CPU (user + system) per device, ms: TLS handshakes, token, upgrade. */
  serverCpuMsPerDevice: number;
  failed: number;
  /** Time per channel (token request + WebSocket + welcome), per client process. */
  perChannel: MsSummary[];
  errors: string[];
}

/** One disconnect-all step. */
export interface DisconnectStep {
  /** Wall time until presence showed no camera online. */
  allOfflineMs: number;
  /** Close handshakes not completed within 5 s (should be 0). */
  timedOut: number;
  /** Close handshake time per channel, per client process. */
  perChannel: MsSummary[];
}

/** Result of {@linkcode benchIdleDevices}. All memory deltas in KiB per device. */
export interface IdleDevicesResult {
  devices: number;
  host: { cpus: number; deno: string };
  server: { pid: number; flags: string[]; fdLimit: FdLimit | null };
  clients: { processes: number; fdLimits: (FdLimit | null)[] };
  enrollment: { registerMs: number; enrollMs: number; perDeviceMs: number };
  connect: ConnectStep;
  disconnect: DisconnectStep;
  reconnect: ConnectStep;
  phases: {
    baseline: PhaseReading;
    connected: PhaseReading;
    disconnected: PhaseReading;
    /** After a second connect-all/disconnect-all cycle. */
    disconnectedAgain: PhaseReading;
  };
  /** (connected − baseline) / N: the headline. */
  perDeviceKiB: {
    /** VmRSS after a forced GC (null without the inspector). */
    rssAfterGc: number | null;
    /** V8 heap used after a forced GC. */
    heapUsedAfterGc: number | null;
    /** VmRSS settled, without a GC right before the reading. */
    rssSettled: number;
    /** RssAnon settled (excludes the mapped binary). */
    rssAnonSettled: number;
  };
  /** (disconnected − baseline) / N: what stays once all left. */
  retainedPerDeviceKiB: { rssAfterGc: number | null; heapUsedAfterGc: number | null };
  /** (disconnectedAgain − disconnected) / N: growth per further cycle (a leak shows here). */
  growthPerCycleKiB: { rssAfterGc: number | null; heapUsedAfterGc: number | null };
  /** Server file descriptors per connected device. */
  fdsPerDevice: number;
  /** Channels the server dropped while idle (should be 0), and heartbeats sent. */
  idle: { lostChannels: number; lostReasons: string[]; heartbeatsSent: number };
}

const VIEWER = "bench-viewer";

/** Runs the benchmark; stops its processes and removes its temp dir whatever happens. */
export async function benchIdleDevices(opts: IdleDevicesOptions = {}): Promise<IdleDevicesResult> {
  const n = opts.devices ?? 1000;
  const log = opts.log ?? progressLog();
  const settleMs = (opts.settleS ?? 10) * 1000;
  const tmp = await Deno.makeTempDir({ prefix: "vigil-idle-bench-" });
  const dataDir = `${tmp}/data`;
  let server: ServerProcess | null = null;
  let viewer: Viewer | null = null;
  const clients: ClientProcess[] = [];
  // Stopping the processes makes whatever awaits them fail, and `finally` cleans up.
  const onAbort = () => {
    for (const c of clients) c.stop();
    server?.stop();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    server = await spawnServer({ dataDir, inspect: opts.inspect ?? true, log });
    const srv = server;
    checkFdLimit("server", srv.fdLimit, n);

    // --- register and enroll through the real flow ---
    const ids = Array.from({ length: n }, (_, i) => `idle-${String(i).padStart(5, "0")}`);
    let t = performance.now();
    const registered = await registerDevices(dataDir, ids, srv.publicUrl, log);
    const registerMs = performance.now() - t;
    log(`registered ${n} devices (device:add) in ${(registerMs / 1000).toFixed(1)} s`);
    t = performance.now();
    const creds = await enrollDevices(srv.publicUrl, srv.caPem, registered, 4, log);
    const enrollMs = performance.now() - t;
    log(`enrolled ${n} devices over POST /enroll in ${(enrollMs / 1000).toFixed(1)} s`);

    // --- client processes, each with its share of the credentials ---
    const ranges = splitRanges(n, opts.clientProcesses ?? 1);
    const deviceBase = srv.publicUrl.replace(/:\d+$/, `:${srv.devicePort}`);
    for (const [i, [from, to]] of ranges.entries()) {
      const file = `${tmp}/client-${i}.json`;
      const cfg: ChildConfig = {
        deviceBase,
        caPem: srv.caPem,
        devices: creds.slice(from, to),
        concurrency: 8,
      };
      // Private keys: readable by this user only, and removed with the temp dir.
      await Deno.writeTextFile(file, JSON.stringify(cfg), { mode: 0o600 });
      const c = await spawnClient(file, `client ${i}`, log);
      clients.push(c);
      checkFdLimit(`client ${i}`, c.fdLimit, to - from);
    }

    // --- a viewer allowed all cameras ---
    const password = `pw-${crypto.randomUUID()}`;
    await userAdd(dataDir, { name: VIEWER, password, cameras: ["*"] });
    const v = viewer = await viewerSession(srv.publicUrl, srv.caPem, VIEWER, password);
    const phase = (label: string) => readPhase(srv, v, { listed: n, settleMs, log, label });
    const sizes = ranges.map(([from, to]) => to - from);

    // --- warm-up of the device path (TLS accept, upgrade, hub), then 0 connected ---
    const warm = Math.min(20, sizes[0]);
    await clients[0].request({ cmd: "connect", from: 0, to: warm }, "connected");
    await clients[0].request({ cmd: "disconnect" }, "disconnected");
    await waitOnline(v, 0, 30_000);
    log(`warm-up: ${warm} channels opened and closed; settling ${settleMs / 1000} s`);
    const baseline = await phase("0 connected");

    const connect = await connectAll(srv, v, clients, sizes, log);
    const connected = await phase(`${n} connected`);
    if (connected.online !== n) {
      throw new Error(`presence shows ${connected.online} of ${n} online`);
    }
    const statuses = await Promise.all(clients.map((c) => c.request({ cmd: "status" }, "status")));
    const disconnect = await disconnectAll(v, clients, log);
    const disconnected = await phase("after disconnect");

    // --- a second cycle: memory that grows again would be a leak ---
    const reconnect = await connectAll(srv, v, clients, sizes, log);
    await disconnectAll(v, clients, log);
    const disconnectedAgain = await phase("after a second connect/disconnect cycle");

    const gc = (k: "rssKiB" | "heapUsedKiB", from: PhaseReading, to: PhaseReading) =>
      from.afterGc?.[k] !== undefined && to.afterGc?.[k] !== undefined
        ? perDeviceKiB(from.afterGc[k]!, to.afterGc[k]!, n)
        : null;
    return {
      devices: n,
      host: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
      server: { pid: srv.pid, flags: srv.flags, fdLimit: srv.fdLimit },
      clients: { processes: clients.length, fdLimits: clients.map((c) => c.fdLimit) },
      enrollment: {
        registerMs: round(registerMs, 0),
        enrollMs: round(enrollMs, 0),
        perDeviceMs: round(enrollMs / n, 2),
      },
      connect,
      disconnect,
      reconnect,
      phases: { baseline, connected, disconnected, disconnectedAgain },
      perDeviceKiB: {
        rssAfterGc: gc("rssKiB", baseline, connected),
        heapUsedAfterGc: gc("heapUsedKiB", baseline, connected),
        rssSettled: perDeviceKiB(baseline.settled.rssKiB, connected.settled.rssKiB, n),
        rssAnonSettled: perDeviceKiB(baseline.settled.rssAnonKiB, connected.settled.rssAnonKiB, n),
      },
      retainedPerDeviceKiB: {
        rssAfterGc: gc("rssKiB", baseline, disconnected),
        heapUsedAfterGc: gc("heapUsedKiB", baseline, disconnected),
      },
      growthPerCycleKiB: {
        rssAfterGc: gc("rssKiB", disconnected, disconnectedAgain),
        heapUsedAfterGc: gc("heapUsedKiB", disconnected, disconnectedAgain),
      },
      fdsPerDevice: round((connected.settled.fds - baseline.settled.fds) / n, 2),
      idle: {
        lostChannels: statuses.reduce((a, s) => a + s.lost, 0),
        lostReasons: statuses.flatMap((s) => s.lostReasons),
        heartbeatsSent: statuses.reduce((a, s) => a + s.heartbeatsSent, 0),
      },
    };
  } catch (err) {
    if (opts.signal?.aborted) throw new Error("idle-devices benchmark aborted");
    if (server) log(`server output (last lines):\n  ${server.tail().join("\n  ")}`);
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    viewer?.client.close();
    await Promise.all(clients.map((c) => c.stop()));
    await server?.stop();
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Opens every client's channels at once; waits until presence shows them all. */
async function connectAll(
  srv: ServerProcess,
  v: Viewer,
  clients: ClientProcess[],
  sizes: number[],
  log: (s: string) => void,
): Promise<ConnectStep> {
  const n = sizes.reduce((a, b) => a + b, 0);
  log(`connecting ${n} devices…`);
  const cpu0 = procCpuSeconds(srv.pid);
  const t = performance.now();
  const replies = await Promise.all(
    clients.map((c, i) => c.request({ cmd: "connect", from: 0, to: sizes[i] }, "connected")),
  );
  const totalMs = performance.now() - t;
  const failed = replies.reduce((a, r) => a + r.failed, 0);
  if (failed > 0) log(`${failed} channels failed: ${replies.flatMap((r) => r.errors).join("; ")}`);
  await waitOnline(v, n - failed, 60_000);
  const allOnlineMs = performance.now() - t;
  const cpuS = procCpuSeconds(srv.pid) - cpu0;
  log(`${n - failed}/${n} connected in ${(totalMs / 1000).toFixed(1)} s`);
  return {
    totalMs: round(totalMs, 0),
    allOnlineMs: round(allOnlineMs, 0),
    serverCpuMsPerDevice: round((cpuS * 1000) / n, 2),
    failed,
    perChannel: replies.map((r) => r.perChannel),
    errors: replies.flatMap((r) => r.errors),
  };
}

/** Closes every channel (close frame 1000); waits until presence shows none online. */
async function disconnectAll(
  v: Viewer,
  clients: ClientProcess[],
  log: (s: string) => void,
): Promise<DisconnectStep> {
  const t = performance.now();
  const replies = await Promise.all(
    clients.map((c) => c.request({ cmd: "disconnect" }, "disconnected")),
  );
  await waitOnline(v, 0, 60_000);
  const ms = performance.now() - t;
  const timedOut = replies.reduce((a, r) => a + r.timedOut, 0);
  log(`all disconnected in ${(ms / 1000).toFixed(1)} s (${timedOut} close handshakes timed out)`);
  return { allOfflineMs: round(ms, 0), timedOut, perChannel: replies.map((r) => r.perChannel) };
}

/** Fails early, with the fix, when a process cannot hold its sockets. */
function checkFdLimit(who: string, limit: FdLimit | null, devices: number): void {
  // Per device: the WebSocket, plus the token request's keep-alive connection until it times out.
  const need = 2 * devices + 200;
  if (limit && limit.soft < need) {
    throw new Error(
      `${who}: open-file limit ${limit.soft} < ${need} needed (raise it: ulimit -n ${need})`,
    );
  }
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "--no-inspect");
  const devices = args[0] ? Number(args[0]) : 1000;
  if (!Number.isInteger(devices) || devices < 1 || args.length > 1) {
    console.error("usage: deno run -A bench/idle_devices/mod.ts [DEVICES] [--no-inspect]");
    Deno.exit(2);
  }
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const inspect = !Deno.args.includes("--no-inspect");
    const result = await benchIdleDevices({ devices, inspect, signal: ac.signal });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}
