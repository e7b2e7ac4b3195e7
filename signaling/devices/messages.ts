/**
 * Schemas of the device channel (see ../PROTOCOL.md). Every frame a device
 * sends is parsed here; anything else is refused with an `error` reply.
 * @module
 */
import { z } from "zod";
import { MAX_VIEWERS } from "../../lib/channel_limits.ts";

/** Longest accepted device frame (an answer SDP with candidates fits easily). */
export const MAX_DEVICE_FRAME = 64 * 1024;

const sessionId = z.string().uuid();
/** ICE candidate types (RFC 8445 section 5.1.1). */
const candidateType = z.enum(["host", "srflx", "prflx", "relay"]);

/** A message from a device (publisher) to the server. */
export const DeviceMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    version: z.string().max(64),
    /** The publisher's own limit: the server admits no more viewers than this. */
    maxViewers: z.number().int().min(MAX_VIEWERS.min).max(MAX_VIEWERS.max).optional(),
    camera: z.object({
      label: z.string().max(100).optional(),
      width: z.number().int().positive().max(8192).optional(),
      height: z.number().int().positive().max(8192).optional(),
      fps: z.number().positive().max(240).optional(),
    }).strict(),
  }).strict(),
  z.object({ type: z.literal("heartbeat"), t: z.number() }).strict(),
  z.object({
    type: z.literal("answer"),
    sessionId,
    sdp: z.string().min(10).max(32 * 1024),
  }).strict(),
  z.object({
    type: z.literal("reject"),
    sessionId,
    status: z.union([z.literal(400), z.literal(429), z.literal(503)]),
    message: z.string().max(200),
  }).strict(),
  z.object({
    type: z.literal("close"),
    sessionId,
    reason: z.string().max(200),
  }).strict(),
  // The reply to `restart` (a WHEP ICE restart): the PATCH 200 body, or why not.
  z.object({
    type: z.literal("restarted"),
    sessionId,
    sdpfrag: z.string().min(10).max(16 * 1024),
  }).strict(),
  z.object({
    type: z.literal("restart-failed"),
    sessionId,
    status: z.union([z.literal(400), z.literal(404), z.literal(409)]),
    message: z.string().max(200),
  }).strict(),
  // The publisher's figures for /metrics, every few seconds (counters since its start).
  z.object({
    type: z.literal("stats"),
    viewers: z.number().int().min(0).max(10_000),
    bitrateBps: z.number().min(0).max(1e10),
    fps: z.number().min(0).max(1000),
    packetsLost: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    cpuSeconds: z.number().min(0).max(1e12),
    rssBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  }).strict(),
  // ICE and DTLS of a session connected (again, after a restart) over this pair.
  z.object({
    type: z.literal("session"),
    sessionId,
    state: z.literal("connected"),
    pair: z.object({ local: candidateType, remote: candidateType }).strict(),
  }).strict(),
]);
export type DeviceMessage = z.infer<typeof DeviceMessage>;

/** A message from the server to a device. */
export type ServerMessage =
  | {
    type: "welcome";
    deviceId: string;
    heartbeatMs: number;
    iceServers: { urls: string[]; username?: string; credential?: string }[];
  }
  | {
    type: "offer";
    sessionId: string;
    sdp: string;
    viewer: string;
    /** This session's ICE servers, the publisher's own TURN credential in them. */
    iceServers?: { urls: string[]; username?: string; credential?: string }[];
  }
  | { type: "candidate"; sessionId: string; candidate: string }
  | {
    type: "restart";
    sessionId: string;
    sdpfrag: string;
    iceServers?: { urls: string[]; username?: string; credential?: string }[];
  }
  | { type: "close"; sessionId: string; reason: string }
  | { type: "heartbeat"; t: number }
  | { type: "error"; message: string };

/** Parses one text frame; returns the message or a one-line reason. */
export function parseDeviceMessage(
  text: string,
): { ok: true; message: DeviceMessage } | { ok: false; error: string } {
  if (text.length > MAX_DEVICE_FRAME) return { ok: false, error: "message too large" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: "message is not JSON" };
  }
  const r = DeviceMessage.safeParse(json);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const where = issue.path.length ? issue.path.join(".") : "message";
  return { ok: false, error: `invalid ${where}: ${issue.message}` };
}
