/**
 * The parent's handle on one client process (`child.ts`): sends
 * JSON-line commands on its stdin and awaits the matching reply on its
 * stdout, passing progress lines to the log.
 *
 * @example
 * ```ts
 * const c = await spawnClient("/tmp/creds.json", log);
 * const r = await c.request({ cmd: "connect", from: 0, to: 500 }, "connected");
 * await c.stop();
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ChildCommand, ChildReply } from "./child.ts";
import { type FdLimit, LineBuffer, parseFdLimit } from "./util.ts";
import { waitOrKill } from "../../tests/helpers/publisher_process.ts";

/** The one request awaiting its reply (commands are sent one at a time). */
interface Waiter {
  type: string;
  resolve: (r: ChildReply) => void;
  reject: (e: Error) => void;
}

/** A running client process. */
export interface ClientProcess {
  pid: number;
  fdLimit: FdLimit | null;
  /** Sends a command; resolves with the first reply of type `type`. */
  request<T extends ChildReply["type"]>(
    c: ChildCommand,
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<ChildReply, { type: T }>>;
  stop(): Promise<void>;
}

/** Starts a client process on a credentials file; resolves when it is ready. */
export async function spawnClient(
  configFile: string,
  name: string,
  log: (s: string) => void,
): Promise<ClientProcess> {
  const script = fileURLToPath(new URL("./child.ts", import.meta.url));
  // The child only needs the loopback network and its credentials file.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", `--allow-read=${configFile}`, script, configFile],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const enc = new TextEncoder();
  // Typed by assertion: TypeScript would narrow a plain `null` to `never` inside the IIFE below.
  let waiter = null as Waiter | null;
  let exited = false;
  const pumped = (async () => {
    const lines = new LineBuffer();
    const dec = new TextDecoder();
    for await (const chunk of child.stdout) {
      for (const line of lines.push(dec.decode(chunk, { stream: true }))) {
        let r: ChildReply;
        try {
          r = JSON.parse(line);
        } catch {
          log(`${name}: ${line}`);
          continue;
        }
        if (r.type === "progress") log(`${name}: ${r.opened}/${r.total} channels open`);
        else if (r.type === "error") waiter?.reject(new Error(`${name}: ${r.message}`));
        else if (waiter && r.type === waiter.type) waiter.resolve(r);
      }
    }
  })().catch(() => {}).finally(() => {
    exited = true;
    waiter?.reject(new Error(`${name} exited`));
  });

  const request = <T extends ChildReply["type"]>(
    c: ChildCommand | null,
    type: T,
    timeoutMs = 10 * 60_000,
  ): Promise<Extract<ChildReply, { type: T }>> => {
    if (exited) return Promise.reject(new Error(`${name} exited`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = null;
        reject(new Error(`${name}: no "${type}" reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        waiter = null;
      };
      waiter = {
        type,
        resolve: (r) => {
          settle();
          resolve(r as Extract<ChildReply, { type: T }>);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      };
      if (c) writer.write(enc.encode(JSON.stringify(c) + "\n")).catch(waiter.reject);
    });
  };

  const stop = async () => {
    // Closing stdin tells the child to close its channels and exit.
    await writer.close().catch(() => {});
    await waitOrKill(child, 15_000);
    await pumped;
  };

  try {
    await request(null, "ready", 60_000);
    // Read here: /proc/self needs full read access in Deno, which the child lacks.
    const fdLimit = parseFdLimit(await Deno.readTextFile(`/proc/${child.pid}/limits`));
    return { pid: child.pid, fdLimit, request, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
