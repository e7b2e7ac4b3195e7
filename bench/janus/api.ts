/**
 * A small client of the Janus API over its HTTP transport (Janus 1.1), for
 * the streaming plugin: create a session, attach `janus.plugin.streaming`,
 * `watch` a mountpoint (Janus sends the offer), `start` with the viewer's
 * answer, trickle its candidates, and end. Events arrive by long poll
 * (`GET /janus/<session>`), which also keeps the session alive.
 *
 * ```ts
 * const session = await JanusSession.create("http://127.0.0.1:8088/janus");
 * const viewer = await session.attachStreaming();
 * const offer = await viewer.watch(1); // SDP offer from Janus
 * await viewer.start(answerSdp); // the browser's answer
 * await session.destroy();
 * ```
 * @module
 */
import { z } from "zod";

/** Largest Janus reply read (an SDP offer is a few KiB). */
const MAX_REPLY_BYTES = 256 * 1024;

const JSEP = z.object({ type: z.enum(["offer", "answer"]), sdp: z.string().max(64 * 1024) });

const REPLY = z.object({
  janus: z.string(),
  transaction: z.string().optional(),
  session_id: z.number().optional(),
  sender: z.number().optional(),
  data: z.object({ id: z.number() }).passthrough().optional(),
  error: z.object({ code: z.number(), reason: z.string() }).optional(),
  plugindata: z.object({ plugin: z.string(), data: z.record(z.string(), z.unknown()) })
    .optional(),
  jsep: JSEP.optional(),
}).passthrough();

/** One parsed Janus message. */
export type JanusReply = z.infer<typeof REPLY>;

/** A Janus `error` reply, or a plugin's `error` in its event. */
export class JanusError extends Error {
  constructor(readonly code: number, reason: string) {
    super(`janus error ${code}: ${reason}`);
  }
}

/** Reads at most `max` bytes of a body (stops reading past the limit). */
async function readLimited(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`janus reply over ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/** Parses one reply or a long poll's array of them. */
export function parseReplies(text: string): JanusReply[] {
  const json: unknown = JSON.parse(text);
  return z.array(REPLY).parse(Array.isArray(json) ? json : [json]);
}

/** The plugin's own error, if its event carries one (`{ error_code, error }`). */
export function pluginError(r: JanusReply): JanusError | null {
  const d = r.plugindata?.data;
  if (d && typeof d.error_code === "number") {
    return new JanusError(d.error_code, String(d.error ?? "plugin error"));
  }
  return null;
}

const tx = () => crypto.randomUUID();

/** A Janus session with its long-poll loop. */
export class JanusSession {
  readonly #abort = new AbortController();
  readonly #waiters = new Map<string, (r: JanusReply) => void>();
  #poll: Promise<void> = Promise.resolve();

  private constructor(readonly base: string, readonly id: number) {}

  /** Creates a session on the Janus at `base` (`http://host:port/janus`). */
  static async create(base: string): Promise<JanusSession> {
    const r = await post(base, { janus: "create", transaction: tx() });
    if (r.janus !== "success" || !r.data) throw new Error(`janus create: ${r.janus}`);
    const s = new JanusSession(base, r.data.id);
    s.#poll = s.#longPoll();
    return s;
  }

  async #longPoll(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      let replies: JanusReply[];
      try {
        const res = await fetch(`${this.base}/${this.id}?maxev=10&rid=${Date.now()}`, {
          signal: this.#abort.signal,
        });
        replies = parseReplies(await readLimited(res, MAX_REPLY_BYTES));
      } catch {
        if (this.#abort.signal.aborted) return;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      // Events answering a request carry its transaction; the rest (webrtcup, media,
      // hangup, keepalive) are not needed here.
      for (const r of replies) {
        const waiter = r.transaction ? this.#waiters.get(r.transaction) : undefined;
        if (waiter && r.janus !== "ack") {
          this.#waiters.delete(r.transaction!);
          waiter(r);
        }
      }
    }
  }

  /** Posts to the session or a handle; resolves with the synchronous reply or the event answering it. */
  async request(body: Record<string, unknown>, handle?: number): Promise<JanusReply> {
    const transaction = tx();
    const event = new Promise<JanusReply>((resolve) => this.#waiters.set(transaction, resolve));
    const url = handle === undefined
      ? `${this.base}/${this.id}`
      : `${this.base}/${this.id}/${handle}`;
    const r = await post(url, { ...body, transaction });
    if (r.janus !== "ack") {
      this.#waiters.delete(transaction);
      return r;
    }
    const timeout = AbortSignal.timeout(15_000);
    return await Promise.race([
      event,
      new Promise<never>((_, reject) =>
        timeout.addEventListener("abort", () => {
          this.#waiters.delete(transaction);
          reject(new Error(`janus ${String(body.janus)}: no event within 15 s`));
        })
      ),
    ]);
  }

  /** Attaches the streaming plugin. */
  async attachStreaming(): Promise<StreamingHandle> {
    const r = await this.request({ janus: "attach", plugin: "janus.plugin.streaming" });
    if (r.janus !== "success" || !r.data) throw new Error(`janus attach: ${r.janus}`);
    return new StreamingHandle(this, r.data.id);
  }

  /** Destroys the session (its handles hang up) and stops polling. */
  async destroy(): Promise<void> {
    try {
      await post(`${this.base}/${this.id}`, { janus: "destroy", transaction: tx() });
    } finally {
      this.#abort.abort();
      await this.#poll;
    }
  }
}

/** A `janus.plugin.streaming` handle: one viewer. */
export class StreamingHandle {
  constructor(readonly session: JanusSession, readonly id: number) {}

  async #message(body: Record<string, unknown>, jsep?: z.infer<typeof JSEP>) {
    const r = await this.session.request(
      { janus: "message", body, ...(jsep ? { jsep } : {}) },
      this.id,
    );
    if (r.janus === "error" && r.error) throw new JanusError(r.error.code, r.error.reason);
    const e = pluginError(r);
    if (e) throw e;
    return r;
  }

  /** Asks to watch mountpoint `id`; resolves with Janus's SDP offer. */
  async watch(id: number): Promise<string> {
    const r = await this.#message({ request: "watch", id, offer_audio: false, offer_data: false });
    if (r.jsep?.type !== "offer") throw new Error("janus watch: no offer in the reply");
    return r.jsep.sdp;
  }

  /** Sends the viewer's answer; Janus starts ICE and DTLS. */
  async start(answerSdp: string): Promise<void> {
    await this.#message({ request: "start" }, { type: "answer", sdp: answerSdp });
  }

  /** Trickles one viewer candidate, or `null` for end of candidates. */
  async trickle(candidate: RTCIceCandidateInit | null): Promise<void> {
    const url = `${this.session.base}/${this.session.id}/${this.id}`;
    await post(url, {
      janus: "trickle",
      transaction: tx(),
      candidate: candidate ?? { completed: true },
    });
  }

  /** The mountpoint's info (`{ request: "info" }`). */
  async info(id: number): Promise<Record<string, unknown>> {
    const r = await this.#message({ request: "info", id });
    return (r.plugindata?.data.info ?? {}) as Record<string, unknown>;
  }
}

async function post(url: string, body: Record<string, unknown>): Promise<JanusReply> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const [r] = parseReplies(await readLimited(res, MAX_REPLY_BYTES));
  if (r.janus === "error" && r.error) throw new JanusError(r.error.code, r.error.reason);
  return r;
}
