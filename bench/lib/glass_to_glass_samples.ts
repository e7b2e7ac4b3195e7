/**
 * Pure part of the glass-to-glass benchmark: turns what the browser recorded
 * (encoded frames seen by an encoded transform, frames presented by
 * `requestVideoFrameCallback`) into per-frame latencies.
 *
 * The capture time comes from vigil's timestamp SEI (publisher/media/timestamp_sei.ts)
 * at the start of each encoded frame; frames are matched by RTP timestamp.
 * Browser times are `performance.now()` values of the page; `timeOriginMs`
 * (`performance.timeOrigin`) puts them on the Unix-epoch wall clock the
 * publisher's `Date.now()` stamps use.
 *
 * @example
 * ```ts
 * const m = matchFrames(encoded, displayed, timeOrigin);
 * summarize(m.samples.map((s) => s.glassToGlassMs)); // { count, medianMs, p95Ms, … }
 * ```
 * @module
 */
import { splitAnnexB } from "../../publisher/media/annexb.ts";
import { findCaptureTime } from "../../publisher/media/timestamp_sei.ts";
import { median, quantile, round } from "./stats.ts";

/** An encoded frame as the page's encoded transform saw it. */
export interface EncodedFrameRecord {
  /** RTP timestamp (90 kHz). */
  rtp: number;
  /** When the transform got the frame (page `performance.now()`). */
  transformAt: number;
  /** First bytes of the Annex-B frame, base64. */
  headB64: string;
}

/** A presented frame (`requestVideoFrameCallback` metadata, page `performance.now()` times). */
export interface DisplayedFrameRecord {
  rtp: number;
  expectedDisplayTime: number;
  /** Arrival of the frame's last packet; absent if the browser did not say. */
  receiveTime: number | null;
  /** Decode time in seconds, when given. */
  processingDuration: number | null;
}

/** Latencies of one frame, ms. */
export interface FrameLatency {
  /** Capture (SEI) → expected display. */
  glassToGlassMs: number;
  /** Capture → last packet received: publisher after the stamp, packetization, network. */
  captureToReceiveMs: number | null;
  /** Last packet received → expected display: jitter buffer, decode, render. */
  receiveToDisplayMs: number | null;
  /** Decode alone (`processingDuration`). */
  decodeMs: number | null;
  /** Last packet received → the page's encoded transform saw the frame (the instrument's own hop). */
  transformLagMs: number | null;
}

/** Result of {@linkcode matchFrames}. */
export interface MatchedFrames {
  samples: FrameLatency[];
  /** Presented frames for which no capture time was seen (no SEI, or encoded before recording). */
  displayedWithoutCapture: number;
  /** Encoded frames whose head held no vigil timestamp SEI. */
  encodedWithoutSei: number;
}

/** Decodes base64 to bytes. */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The capture time (ms since the epoch) of the vigil timestamp SEI in the first
 * bytes of an Annex-B frame, or null. A NAL unit cut off by the head is ignored.
 */
export function captureTimeFromHead(head: Uint8Array): number | null {
  return findCaptureTime(splitAnnexB(head));
}

/** Pairs presented frames with the capture time of the encoded frame of the same RTP timestamp. */
export function matchFrames(
  encoded: readonly EncodedFrameRecord[],
  displayed: readonly DisplayedFrameRecord[],
  timeOriginMs: number,
): MatchedFrames {
  const byRtp = new Map<number, { captureMs: number; transformAt: number }>();
  let encodedWithoutSei = 0;
  for (const e of encoded) {
    const captureMs = captureTimeFromHead(fromBase64(e.headB64));
    if (captureMs === null) encodedWithoutSei++;
    else byRtp.set(e.rtp, { captureMs, transformAt: e.transformAt });
  }
  const samples: FrameLatency[] = [];
  const seen = new Set<number>();
  let displayedWithoutCapture = 0;
  for (const d of displayed) {
    if (seen.has(d.rtp)) continue; // a frame shown again (no new frame in time) counts once
    seen.add(d.rtp);
    const e = byRtp.get(d.rtp);
    if (!e) {
      displayedWithoutCapture++;
      continue;
    }
    const epoch = (t: number) => timeOriginMs + t;
    const rx = d.receiveTime;
    samples.push({
      glassToGlassMs: epoch(d.expectedDisplayTime) - e.captureMs,
      captureToReceiveMs: rx === null ? null : epoch(rx) - e.captureMs,
      receiveToDisplayMs: rx === null ? null : d.expectedDisplayTime - rx,
      decodeMs: d.processingDuration === null ? null : d.processingDuration * 1000,
      transformLagMs: rx === null ? null : e.transformAt - rx,
    });
  }
  return { samples, displayedWithoutCapture, encodedWithoutSei };
}

/** Distribution of a latency, ms (rounded to 0.1). */
export interface Summary {
  count: number;
  medianMs: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
}

/** Median, p95 (nearest rank), min and max of the non-null values. */
export function summarize(values: readonly (number | null)[]): Summary {
  const xs = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return {
    count: xs.length,
    medianMs: round(median(xs)),
    p95Ms: round(quantile(xs, 0.95)),
    minMs: round(xs.length ? Math.min(...xs) : NaN),
    maxMs: round(xs.length ? Math.max(...xs) : NaN),
  };
}
