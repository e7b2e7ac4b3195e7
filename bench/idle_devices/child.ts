/**
 * Client process of the idle-devices benchmark: holds many real device
 * channels, each as the publisher opens it (its own mTLS client with the
 * device's certificate, `POST /device/token`, WebSocket with the token,
 * `hello` after `welcome`, then a heartbeat every `heartbeatMs`). It runs
 * apart from the server so that the server's memory can be read alone.
 *
 * `deno run --allow-net=127.0.0.1 --allow-read=CREDENTIALS.json bench/idle_devices/child.ts
 * CREDENTIALS.json` (started so by `clients.ts`).
 *
 * Commands arrive as JSON lines on stdin ({@linkcode ChildCommand}); replies
 * and progress leave as JSON lines on stdout ({@linkcode ChildReply}). The
 * process exits when stdin closes, so it never outlives the benchmark.
 * @module
 */
import { LineBuffer, type MsSummary, summarizeMs } from "./util.ts";

/** One enrolled device's credentials. */
export interface DeviceCredentials {
  deviceId: string;
  certPem: string;
  keyPem: string;
}

/** The file the child reads at start. */
export interface ChildConfig {
  /** `https://host:devicePort` of the mTLS device listener. */
  deviceBase: string;
  caPem: string;
  devices: DeviceCredentials[];
  /** Channels opened at once while connecting. */
  concurrency: number;
}

/** Parent → child. `connect` opens devices [from, to) of the file. */
export type ChildCommand =
  | { cmd: "connect"; from: number; to: number }
  | { cmd: "disconnect" }
  | { cmd: "status" };

/** Child → parent. */
export type ChildReply =
  | { type: "ready"; pid: number }
  | { type: "progress"; opened: number; total: number }
  | {
    type: "connected";
    opened: number;
    failed: number;
    ms: number;
    perChannel: MsSummary;
    errors: string[];
  }
  | { type: "disconnected"; closed: number; ms: number; perChannel: MsSummary; timedOut: number }
  | { type: "status"; open: number; lost: number; heartbeatsSent: number; lostReasons: string[] }
  | { type: "error"; message: string };

/** A live channel. */
interface Channel {
  client: Deno.HttpClient;
  ws: WebSocket;
  heartbeat?: ReturnType<typeof setInterval>;
  closing: boolean;
}

const open = new Map<string, Channel>();
let lost = 0;
const lostReasons: string[] = [];
let heartbeatsSent = 0;

function reply(r: ChildReply): void {
  console.log(JSON.stringify(r));
}

/** Opens one device channel; resolves once `welcome` arrived and `hello` left. */
async function openChannel(cfg: ChildConfig, dev: DeviceCredentials): Promise<void> {
  const client = Deno.createHttpClient({
    caCerts: [cfg.caPem],
    cert: dev.certPem,
    key: dev.keyPem,
  });
  try {
    const res = await fetch(`${cfg.deviceBase}/device/token`, { method: "POST", client });
    if (res.status !== 200) {
      throw new Error(`token ${res.status}: ${(await res.text()).slice(0, 100)}`);
    }
    const { token } = await res.json();
    const url = `${cfg.deviceBase.replace(/^https:/, "wss:")}/device/ws`;
    // Deno: custom headers and an mTLS client on a WebSocket (as publisher/device/channel.ts).
    const ws = new WebSocket(
      url,
      { headers: { authorization: `Bearer ${token}` }, client } as unknown as string[],
    );
    const ch: Channel = { client, ws, closing: false };
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no welcome within 30 s")), 30_000);
      ws.onerror = (e) => reject(new Error(`websocket: ${(e as ErrorEvent).message ?? "error"}`));
      ws.onclose = (e) => reject(new Error(`closed before welcome (${e.code} ${e.reason})`));
      ws.onmessage = (e) => {
        const m = JSON.parse(String(e.data));
        if (m.type !== "welcome") return;
        clearTimeout(timer);
        ws.send(
          JSON.stringify({ type: "hello", version: "bench", camera: { label: dev.deviceId } }),
        );
        ch.heartbeat = setInterval(() => {
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(JSON.stringify({ type: "heartbeat", t: Date.now() }));
          heartbeatsSent++;
        }, m.heartbeatMs);
        resolve();
      };
    });
    // Idle from here on: replies to heartbeats are read and dropped.
    ws.onmessage = null;
    ws.onerror = () => {};
    ws.onclose = (e) => {
      clearInterval(ch.heartbeat);
      if (!ch.closing) {
        // The server dropped an idle channel: the benchmark reports it.
        lost++;
        if (lostReasons.length < 10) lostReasons.push(`${dev.deviceId}: ${e.code} ${e.reason}`);
        open.delete(dev.deviceId);
        client.close();
      }
    };
    open.set(dev.deviceId, ch);
  } catch (err) {
    client.close();
    throw err;
  }
}

async function connect(cfg: ChildConfig, from: number, to: number): Promise<void> {
  const todo = cfg.devices.slice(from, to);
  const times: number[] = [];
  const errors: string[] = [];
  let next = 0;
  let opened = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < todo.length) {
      const dev = todo[next++];
      const t = performance.now();
      try {
        await openChannel(cfg, dev);
        times.push(performance.now() - t);
        opened++;
      } catch (err) {
        failed++;
        if (errors.length < 10) errors.push(`${dev.deviceId}: ${(err as Error).message}`);
      }
      if ((opened + failed) % 100 === 0) reply({ type: "progress", opened, total: todo.length });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cfg.concurrency) }, worker));
  reply({
    type: "connected",
    opened,
    failed,
    ms: performance.now() - t0,
    perChannel: summarizeMs(times),
    errors,
  });
}

/**
 * Deno 2.9.6's WebSocket client over TLS completes at most 128 close
 * handshakes started at once: the others never send their close frame (seen
 * against Deno.serve as well as against vigil; plain ws:// and a Node.js
 * client are not affected). Closing in batches keeps the server's view exact.
 */
const CLOSE_BATCH = 100;

/** Closes one channel with a close frame (1000); gives up waiting after 5 s. */
function closeChannel(ch: Channel): Promise<number | null> {
  ch.closing = true;
  clearInterval(ch.heartbeat);
  const t = performance.now();
  return new Promise((resolve) => {
    let finished = false;
    const done = (ms: number | null) => {
      if (finished) return;
      finished = true;
      ch.client.close();
      resolve(ms);
    };
    if (ch.ws.readyState === WebSocket.CLOSED) return done(0);
    const timer = setTimeout(() => done(null), 5000);
    ch.ws.onclose = () => {
      clearTimeout(timer);
      done(performance.now() - t);
    };
    ch.ws.close(1000, "bench done");
  });
}

/** Closes every open channel, {@linkcode CLOSE_BATCH} at a time. */
async function disconnect(): Promise<void> {
  const t0 = performance.now();
  const chans = [...open.values()];
  open.clear();
  const times: number[] = [];
  let timedOut = 0;
  for (let i = 0; i < chans.length; i += CLOSE_BATCH) {
    for (const ms of await Promise.all(chans.slice(i, i + CLOSE_BATCH).map(closeChannel))) {
      if (ms === null) timedOut++;
      else times.push(ms);
    }
  }
  reply({
    type: "disconnected",
    closed: chans.length,
    ms: performance.now() - t0,
    perChannel: summarizeMs(times),
    timedOut,
  });
}

async function main(): Promise<void> {
  const cfg: ChildConfig = JSON.parse(await Deno.readTextFile(Deno.args[0]));
  reply({ type: "ready", pid: Deno.pid });
  const lines = new LineBuffer();
  const decoder = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
      if (!line.trim()) continue;
      const c = JSON.parse(line) as ChildCommand;
      try {
        if (c.cmd === "connect") await connect(cfg, c.from, c.to);
        else if (c.cmd === "disconnect") await disconnect();
        else reply({ type: "status", open: open.size, lost, heartbeatsSent, lostReasons });
      } catch (err) {
        reply({ type: "error", message: (err as Error).message });
      }
    }
  }
  // stdin closed: the parent is done (or gone, and then the reply cannot be written).
  try {
    await disconnect();
  } catch {
    // stdout closed with the parent
  }
  Deno.exit(0);
}

if (import.meta.main) await main();
