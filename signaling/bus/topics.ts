/**
 * Every bus topic of vigil, with the types of its messages. Nothing else
 * names a topic: callers use these helpers, so a topic cannot be misspelt
 * or carry the wrong message.
 *
 * | topic                  | kind          | from → to                          | message                       |
 * | ---------------------- | ------------- | ---------------------------------- | ----------------------------- |
 * | `presence`             | publish       | presence → SSE streams             | {@linkcode PresenceMessage}   |
 * | `camera.<id>.offer`    | request/reply | viewing sessions → device hub      | {@linkcode OfferRequest} → {@linkcode OfferReply} |
 * | `camera.<id>.control`  | publish       | viewing sessions → device hub      | {@linkcode ControlMessage}    |
 * | `session.<sid>.closed` | publish       | device hub → viewing sessions      | {@linkcode SessionClosed}     |
 *
 * The device hub answers `camera.<id>.offer` while that camera's channel is
 * open; no responder means the camera is offline.
 *
 * @example
 * ```ts
 * const reply = await bus.request(topics.offer("door"), { sessionId, sdp, viewer: "alice" }, 10_000);
 * ```
 * @module
 */
import type { RequestTopic, Topic } from "./bus.ts";

/** A camera's presence, published whenever it goes on- or offline. */
export type PresenceMessage = {
  id: string;
  label: string;
  online: boolean;
  /** Unix ms of the last change. */
  since: number;
  /** The publisher's own viewer limit from `hello` (null: it named none). */
  maxViewers: number | null;
};

/** A viewer's WHEP offer for a camera's publisher. */
export type OfferRequest = { sessionId: string; sdp: string; viewer: string };

/** The publisher's answer, or its refusal with an HTTP status. */
export type OfferReply = { sdp: string } | { status: 400 | 429 | 503; message: string };

/** Toward a camera's publisher: trickled viewer candidates, or the end of a session. */
export type ControlMessage =
  | { type: "candidate"; sessionId: string; candidate: string }
  | { type: "close"; sessionId: string; reason: string };

/** A session ended on the device side: the publisher closed it, or its channel went away. */
export type SessionClosed = {
  camera: string;
  cause: "publisher" | "offline";
  reason: string;
};

/** Topic names are subjects for a broker: ids must not add separators or wildcards. */
function id(value: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) throw new Error(`not a topic id: ${value.slice(0, 80)}`);
  return value;
}

/** The topics. */
export const topics = {
  presence: { name: "presence" } as Topic<PresenceMessage>,
  offer: (camera: string): RequestTopic<OfferRequest, OfferReply> => ({
    name: `camera.${id(camera)}.offer`,
  }),
  control: (camera: string): Topic<ControlMessage> => ({ name: `camera.${id(camera)}.control` }),
  sessionClosed: (sessionId: string): Topic<SessionClosed> => ({
    name: `session.${id(sessionId)}.closed`,
  }),
};
