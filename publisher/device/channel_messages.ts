/**
 * Schemas of the device channel as the publisher sees it (signaling/PROTOCOL.md):
 * frames from the server are validated before use; frames to the server are
 * built here so they always match the server's strict schemas.
 *
 * @module
 */

import type { StatsReport } from "./stats_report.ts";
import { z } from "zod";
import { HEARTBEAT_MS } from "../../lib/channel_limits.ts";

const sessionId = z.string().min(1).max(100);

const IceServerSchema = z.object({
  urls: z.union([z.string().max(256), z.array(z.string().max(256)).max(16)]),
  username: z.string().max(512).optional(),
  credential: z.string().max(512).optional(),
});

/** A frame from the server. */
export const ServerFrameSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("welcome"),
    deviceId: z.string(),
    heartbeatMs: z.number().int().min(HEARTBEAT_MS.min).max(HEARTBEAT_MS.max).default(3_000),
    iceServers: z.array(IceServerSchema).default([]),
  }),
  z.object({
    type: z.literal("offer"),
    sessionId,
    sdp: z.string().min(10).max(64 * 1024),
    viewer: z.string().optional(),
    /** This session's ICE servers with the publisher's own TURN credential. */
    iceServers: z.array(IceServerSchema).max(16).optional(),
  }),
  z.object({ type: z.literal("candidate"), sessionId, candidate: z.string().max(16 * 1024) }),
  z.object({ type: z.literal("close"), sessionId, reason: z.string().optional() }),
  // WHEP ICE restart (a PATCH with If-Match "*"): the viewer's sdpfrag.
  z.object({
    type: z.literal("restart"),
    sessionId,
    sdpfrag: z.string().min(1).max(16 * 1024),
    iceServers: z.array(IceServerSchema).max(16).optional(),
  }),
  z.object({ type: z.literal("heartbeat"), t: z.number().optional() }),
  z.object({ type: z.literal("error"), message: z.string().optional() }),
]);

/** A validated frame from the server. */
export type ServerFrame = z.output<typeof ServerFrameSchema>;

/** Parses one text frame; null when it is not a known, valid frame. */
export function parseServerFrame(text: string): ServerFrame | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const r = ServerFrameSchema.safeParse(json);
  return r.success ? r.data : null;
}

/** ICE candidate types (RFC 8445 section 5.1.1). */
export type CandidateType = "host" | "srflx" | "prflx" | "relay";

/** The candidate types of a session's selected pair: `local` the publisher's, `remote` the viewer's. */
export interface SelectedPair {
  local: CandidateType;
  remote: CandidateType;
}

/** Camera facts for `hello`. */
export interface CameraInfo {
  label?: string;
  width?: number;
  height?: number;
  fps?: number;
}

const clip = (s: string) => s.slice(0, 200);

/** Builders of the frames the device sends. */
export const deviceFrames = {
  hello: (camera: CameraInfo, version: string, maxViewers: number) =>
    JSON.stringify({ type: "hello", camera, version: version.slice(0, 64), maxViewers }),
  heartbeat: (t: number) => JSON.stringify({ type: "heartbeat", t }),
  answer: (sessionId: string, sdp: string) => JSON.stringify({ type: "answer", sessionId, sdp }),
  reject: (sessionId: string, status: 400 | 429 | 503, message: string) =>
    JSON.stringify({ type: "reject", sessionId, status, message: clip(message) }),
  close: (sessionId: string, reason: string) =>
    JSON.stringify({ type: "close", sessionId, reason: clip(reason) }),
  restarted: (sessionId: string, sdpfrag: string) =>
    JSON.stringify({ type: "restarted", sessionId, sdpfrag }),
  restartFailed: (sessionId: string, status: 400 | 404 | 409, message: string) =>
    JSON.stringify({ type: "restart-failed", sessionId, status, message: clip(message) }),
  /** The publisher's figures for the server's /metrics. */
  stats: (r: StatsReport) => JSON.stringify({ type: "stats", ...r }),
  /** ICE/DTLS connected over this pair (candidate types only: the server needs no address). */
  connected: (sessionId: string, pair: SelectedPair) =>
    JSON.stringify({ type: "session", sessionId, state: "connected", pair }),
};

/**
 * Reconnect delay: exponential from `baseMs`, capped at `capMs`, with "equal
 * jitter" (half fixed, half random) so a fleet does not reconnect in lockstep.
 */
export function backoffDelay(
  attempt: number,
  { baseMs = 500, capMs = 30_000 }: { baseMs?: number; capMs?: number } = {},
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
