/**
 * The pure parts of the NATS bus: bus topics as NATS subjects, the JSON
 * envelope of a reply, the reconnect backoff, and NATS errors as
 * {@linkcode BusError}s.
 *
 * @example
 * ```ts
 * subjectOf("vigil", "camera.cam1.offer"); // "vigil.camera.cam1.offer"
 * decodeReply(encodeReply({ ok: true, value: { sdp: "v=0…" } })); // the same envelope
 * reconnectDelayMs(3); // 800 ms ± 20 %
 * ```
 * @module
 */
import { errors } from "@nats-io/transport-node";
import { BusError } from "./bus.ts";

/** A NATS subject token: no wildcards (`*`, `>`), no whitespace, no dots. */
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether `topic` can be a bus topic on NATS (dot-separated tokens, none starting with `_`). */
export function isValidTopic(topic: string): boolean {
  const tokens = topic.split(".");
  return topic.length <= 256 && tokens.every((t) => TOKEN.test(t)) && !topic.startsWith("_");
}

/** The subject of a topic under `prefix`; throws TypeError for a topic NATS cannot carry. */
export function subjectOf(prefix: string, topic: string): string {
  if (!isValidTopic(topic)) throw new TypeError(`bus: invalid topic "${topic.slice(0, 80)}"`);
  return `${prefix}.${topic}`;
}

/** Checks a subject prefix (e.g. `vigil`, `vigil.site-a`). */
export function checkPrefix(prefix: string): string {
  if (!prefix.split(".").every((t) => TOKEN.test(t))) {
    throw new TypeError(`bus: invalid subject prefix "${prefix.slice(0, 80)}"`);
  }
  return prefix;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON bytes of a message (`undefined` travels as `null`). */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value) ?? "null");
}

/** The value of JSON bytes; throws SyntaxError for anything else. */
export function decodeJson(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes));
}

/** A reply: the responder's value (absent for `undefined`), or the message of its error. */
export type ReplyEnvelope = { ok: true; value?: unknown } | { ok: false; error: string };

/** Reply bytes. */
export function encodeReply(reply: ReplyEnvelope): Uint8Array {
  return encodeJson(reply);
}

/** A reply from its bytes; anything that is not an envelope is an error reply. */
export function decodeReply(bytes: Uint8Array): ReplyEnvelope {
  let v: unknown;
  try {
    v = decodeJson(bytes);
  } catch {
    return { ok: false, error: "bus: reply is not JSON" };
  }
  const r = (typeof v === "object" && v !== null && !Array.isArray(v) ? v : {}) as Record<
    string,
    unknown
  >;
  if (r.ok === true) return { ok: true, value: r.value };
  if (r.ok === false && typeof r.error === "string") return { ok: false, error: r.error };
  return { ok: false, error: "bus: malformed reply" };
}

/**
 * Wait before reconnect attempt `attempt` (1, 2, …): 100 ms doubling up to
 * 2 s, ±20 % jitter so that many nodes do not return in lockstep.
 */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(2_000, 100 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** `err` and its causes (a NATS RequestError wraps the reason). */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, i = 0; e !== undefined && i < 5; e = (e as Error).cause, i++) {
    out.push(e);
    if (!(e instanceof Error)) break;
  }
  return out;
}

/** A NATS request failure as a BusError: no responder, timeout, or unreachable bus. */
export function busErrorOf(topic: string, err: unknown, timeoutMs: number): BusError {
  const all = causes(err);
  if (all.some((e) => e instanceof errors.NoRespondersError)) {
    return new BusError("no_responder", `no responder for ${topic}`);
  }
  if (all.some((e) => e instanceof errors.TimeoutError)) {
    return new BusError("timeout", `no reply on ${topic} within ${timeoutMs} ms`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BusError("no_responder", `bus unavailable for ${topic}: ${message}`);
}
