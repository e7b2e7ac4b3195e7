/**
 * A minimal Chrome DevTools Protocol client for a `deno run --inspect`
 * process: force a full garbage collection and read `Deno.memoryUsage()`
 * inside it, without changing the program. The benchmark uses it to read
 * the server's heap and to take memory figures after a GC.
 *
 * @example
 * ```ts
 * const insp = await Inspector.connect("ws://127.0.0.1:9229/ws/…");
 * await insp.collectGarbage();
 * console.log(await insp.memoryUsage());
 * insp.close();
 * ```
 * @module
 */

/** `Deno.memoryUsage()` of the inspected process, in bytes. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

/** One inspector session. */
export class Inspector {
  #ws: WebSocket;
  #nextId = 1;
  #waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      const w = typeof m.id === "number" ? this.#waiting.get(m.id) : undefined;
      if (!w) return; // an event: none are enabled, so none expected
      this.#waiting.delete(m.id);
      if (m.error) w.reject(new Error(`inspector: ${m.error.message}`));
      else w.resolve(m.result);
    };
    ws.onclose = () => {
      for (const w of this.#waiting.values()) w.reject(new Error("inspector closed"));
      this.#waiting.clear();
    };
  }

  /** Opens a session on the `ws://…` address Deno printed. */
  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (e) => reject(new Error(`inspector: ${(e as ErrorEvent).message}`));
    });
    return new Inspector(ws);
  }

  /** Sends one CDP command; resolves with its result. */
  call(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`inspector: ${method} timed out`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full, blocking GC in the inspected process. */
  async collectGarbage(): Promise<void> {
    await this.call("HeapProfiler.collectGarbage");
  }

  /** `Deno.memoryUsage()` evaluated inside the inspected process. */
  async memoryUsage(): Promise<MemoryUsage> {
    const r = await this.call("Runtime.evaluate", {
      expression: "Deno.memoryUsage()",
      returnByValue: true,
    }) as { result?: { value?: MemoryUsage }; exceptionDetails?: { text?: string } };
    if (!r.result?.value) throw new Error(`inspector: ${r.exceptionDetails?.text ?? "no value"}`);
    return r.result.value;
  }

  close(): void {
    try {
      this.#ws.close();
    } catch {
      // already closed
    }
  }
}
