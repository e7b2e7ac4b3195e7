/**
 * The bus benchmark's figures and their markdown (pure): offer-style
 * request/reply latency and rates, in-process vs NATS from the same run.
 *
 * @example
 * ```ts
 * latencySummary([1, 2, 3, 4]); // { p50Ms: 2, p99Ms: 4 }
 * busMarkdown(result); // "| | in-process | NATS | NATS / in-process |\n…"
 * ```
 * @module
 */
import { quantile, round } from "./lib/stats.ts";

/** One bus's figures. */
export interface BusFigures {
  /** Sequential offer request/reply round trips (one at a time). */
  requestP50Ms: number;
  requestP99Ms: number;
  /** Offer request/replies per second with `concurrency` in flight. */
  requestsPerS: number;
  /** Candidate-sized publishes per second, publisher to a subscriber (until all arrived). */
  messagesPerS: number;
}

/** A whole run: both buses under the same load. */
export interface BusBenchResult {
  settings: {
    sequentialRequests: number;
    concurrentRequests: number;
    concurrency: number;
    messages: number;
  };
  payload: { offerBytes: number; answerBytes: number; messageBytes: number };
  inProcess: BusFigures;
  nats: BusFigures & { server: string };
}

/** p50 and p99 (nearest rank) of latency samples, in ms with 3 decimals. */
export function latencySummary(samplesMs: readonly number[]): { p50Ms: number; p99Ms: number } {
  if (samplesMs.length === 0) throw new RangeError("no latency samples");
  return { p50Ms: round(quantile(samplesMs, 0.5), 3), p99Ms: round(quantile(samplesMs, 0.99), 3) };
}

/** Events per second for `count` events in `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  if (!(ms > 0)) throw new RangeError(`elapsed time must be positive, got ${ms}`);
  return Math.round(count / (ms / 1000));
}

/** `a / b` to two significant digits (at most one decimal from 10 up), e.g. `75×`, `0.052×`. */
export function ratioText(a: number, b: number): string {
  if (!(b > 0) || !Number.isFinite(a)) return "—";
  const r = a / b;
  return `${r >= 10 ? round(r, 0) : Number(r.toPrecision(2))}×`;
}

/** The markdown section for bench/RESULTS.md. */
export function busMarkdown(r: BusBenchResult): string {
  const { inProcess: i, nats: n, settings: s, payload: p } = r;
  const row = (label: string, a: number, b: number, unit: string) =>
    `| ${label} | ${a} ${unit} | ${b} ${unit} | ${ratioText(b, a)} |`;
  return [
    "## Bus: in-process vs NATS",
    "",
    `Offer-style request/reply (request ${p.offerBytes} B of SDP, reply ${p.answerBytes} B) and ` +
    `candidate-sized messages (${p.messageBytes} B), JSON; NATS: two connections to one ` +
    `nats-server ${n.server} on loopback, as two nodes. ${s.sequentialRequests} sequential and ` +
    `${s.concurrentRequests} concurrent requests (${s.concurrency} in flight), ` +
    `${s.messages} messages.`,
    "",
    "| | in-process | NATS | NATS / in-process |",
    "| --- | --- | --- | --- |",
    row("offer round trip p50", i.requestP50Ms, n.requestP50Ms, "ms"),
    row("offer round trip p99", i.requestP99Ms, n.requestP99Ms, "ms"),
    row(`offers/s (${s.concurrency} in flight)`, i.requestsPerS, n.requestsPerS, "/s"),
    row("messages/s", i.messagesPerS, n.messagesPerS, "/s"),
    "",
  ].join("\n");
}
