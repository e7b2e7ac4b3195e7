/**
 * Every bus topic of vigil, with the types of its messages. Nothing else
 * names a topic: callers use these helpers, so a topic cannot be misspelt
 * or carry the wrong message.
 *
 * | topic                  | kind          | from → to                          | message                       |
 * | ---------------------- | ------------- | ---------------------------------- | ----------------------------- |
 * | `presence`             | publish       | presence → presence (every node)   | {@linkcode PresenceMessage}   |
 * | `presence.sync`        | publish       | a (re)starting node → every node   | {@linkcode PresenceSync}      |
 * | `cluster.events`       | publish       | a node that logged events → nodes  | {@linkcode ClusterNudge}      |
 * | `camera.<id>.offer`    | request/reply | viewing sessions → device hub      | {@linkcode OfferRequest} → {@linkcode OfferReply} |
 * | `camera.<id>.restart`  | request/reply | viewing sessions → device hub      | {@linkcode RestartRequest} → {@linkcode RestartReply} |
 * | `camera.<id>.control`  | publish       | viewing sessions → device hub      | {@linkcode ControlMessage}    |
 * | `session.<sid>.closed` | publish       | device hub → viewing sessions      | {@linkcode SessionClosed}     |
 * | `session.<sid>.state`  | publish       | device hub → viewing sessions      | {@linkcode SessionState}      |
 * | `session.<sid>.op`     | request/reply | a node's WHEP route → the session's node | {@linkcode SessionOpRequest} → {@linkcode SessionOpReply} |
 * | `cluster.node`         | publish       | every node → every node (periodic) | {@linkcode NodeAnnounce}      |
 * | `node.<id>.sessions`   | request/reply | a node's admin API → node `<id>`   | {@linkcode NodeSessionsRequest} → {@linkcode NodeSessionsReply} |
 * | `node.<id>.audit`      | request/reply | a node's admin API → node `<id>`   | {@linkcode NodeAuditRequest} → {@linkcode NodeAuditReply} |
 * | `node.<id>.end`        | request/reply | a node's admin API → node `<id>`   | {@linkcode NodeEndRequest} → {@linkcode NodeEndReply} |
 * | `node.<id>.devices`    | request/reply | a node's admin API → node `<id>`   | {@linkcode NodeDevicesRequest} → {@linkcode NodeDevicesReply} |
 * | `node.<id>.counts`     | request/reply | a node's WHEP POST → node `<id>`   | {@linkcode NodeCountsRequest} → {@linkcode NodeCountsReply} |
 *
 * The device hub answers `camera.<id>.offer` and `camera.<id>.restart` while
 * that camera's channel is open; no responder means the camera is offline.
 * Node `<id>` itself is the one responder of its `node.<id>.*` topics (the
 * operator console's cluster-wide answers, cluster/node_console.ts); the
 * nodes it may ask are those heard on `cluster.node` (cluster/members.ts).
 *
 * @example
 * ```ts
 * const reply = await bus.request(topics.offer("door"), { sessionId, sdp, viewer: "alice" }, 10_000);
 * ```
 * @module
 */
import type { Json, RequestTopic, Topic } from "./bus.ts";
import type { DeviceMessage } from "../devices/messages.ts";

/** A camera's presence, published whenever it goes on- or offline. */
export type PresenceMessage = {
  id: string;
  label: string;
  online: boolean;
  /** Unix ms of the last change. */
  since: number;
  /** The publisher's own viewer limit from `hello` (null: it named none). */
  maxViewers: number | null;
  /** The node holding the camera's channel (a cluster; absent from old senders). */
  node?: string;
};

/** "Announce your cameras": a node that started or got its bus back. */
export type PresenceSync = { node: string };

/** "The cluster event log grew to `seq`": read it now instead of at the next poll. */
export type ClusterNudge = { seq: number; node: string };

/** A viewer's WHEP offer for a camera's publisher. */
export type OfferRequest = { sessionId: string; sdp: string; viewer: string };

/** The publisher's answer, or its refusal with an HTTP status. */
export type OfferReply = { sdp: string } | { status: 400 | 429 | 503; message: string };

/** A viewer's WHEP ICE restart (its `application/trickle-ice-sdpfrag`) for the session's publisher. */
export type RestartRequest = { sessionId: string; sdpfrag: string };

/**
 * The publisher's new ICE credentials and candidates (the PATCH 200 body), or
 * why not: 400 unusable fragment, 404 unknown session, 409 cannot restart now.
 */
export type RestartReply = { sdpfrag: string } | { status: 400 | 404 | 409; message: string };

/** ICE candidate types (RFC 8445 section 5.1.1; `a=candidate … typ <type>`). */
export type CandidateType = "host" | "srflx" | "prflx" | "relay";

/**
 * A session's media path as the publisher reports it: ICE and DTLS connected
 * over this pair (again after an ICE restart). Types only, never addresses:
 * the operator console shows "direct or relay" from it.
 */
export type SessionState = {
  camera: string;
  state: "connected";
  /** Candidate types of the selected pair: `local` the publisher's, `remote` the viewer's. */
  pair: { local: CandidateType; remote: CandidateType };
};

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

/**
 * A WHEP session request (GET, PATCH, DELETE on the session URL) that reached
 * a node other than the one holding the session: relayed to it. `viewer` is
 * the token subject the relaying node verified; HTTP-level checks (media
 * type, size) were done there.
 */
export type SessionOpRequest = {
  op: "get" | "patch" | "delete";
  camera: string;
  viewer: string;
  sdpfrag?: string;
  ifMatch?: string;
};

/** The holding node's HTTP answer. */
export type SessionOpReply = {
  status: number;
  headers: Record<string, string>;
  body: string | null;
};

/** "I am alive": every node, every `clusterAnnounceMs` and when it hears a node it did not know. */
export type NodeAnnounce = { node: string; leaving?: boolean };

/** One live session as the console lists it (`GET /api/admin/sessions`). */
export type AdminSession = {
  id: string;
  camera: string;
  viewer: string;
  /** ISO 8601. */
  since: string | null;
  /** The viewer's address. */
  from: string | null;
  path: "direct" | "relay" | null;
  pair: SessionState["pair"] | null;
  iceRestarts: number;
  /** The node holding the session. */
  node: string;
};

/** "List your live sessions." */
export type NodeSessionsRequest = Record<string, never>;

/** A node's live sessions, oldest first. */
export type NodeSessionsReply = { sessions: AdminSession[] };

/** "The newest entries of your audit log matching this" (audit/audit_query.ts's filter). */
export type NodeAuditRequest = { kind?: string; device?: string; user?: string; limit: number };

/** A node's matching audit entries, newest first (`truncated`: cut to fit one bus message). */
export type NodeAuditReply = { entries: { [key: string]: Json }[]; truncated?: boolean };

/** "End this session if you hold it": an admin's DELETE that reached another node. */
export type NodeEndRequest = { session: string; admin: string; ip: string };

/** Whether this node held the session and ended it (it audited `admin.session_ended`). */
export type NodeEndReply = { ended: boolean };

/** "How many sessions of this camera and of this viewer do you hold?" (cluster-wide limits) */
export type NodeCountsRequest = { camera: string; viewer: string };

/** A node's session counts for a {@linkcode NodeCountsRequest}. */
export type NodeCountsReply = { camera: number; viewer: number };

/** "Which devices have a channel to you, and when did each last speak to you?" */
export type NodeDevicesRequest = Record<string, never>;

/** A device channel held by a node, as the console shows it. */
export type NodeChannel = {
  deviceId: string;
  address: string;
  version: string | null;
  /** Unix ms. */
  connectedAt: number;
  /** The publisher's last `stats` report on this channel (every 5 s), or null before one. */
  stats?: StreamStats | null;
};

/** A publisher's stream as its `stats` report says (the message's schema, devices/messages.ts). */
export type StreamStats = Omit<Extract<DeviceMessage, { type: "stats" }>, "type">;

/** A node's device channels and the last time each device it has seen spoke to it (Unix ms). */
export type NodeDevicesReply = {
  channels: NodeChannel[];
  lastSeen: { deviceId: string; at: number }[];
};

/** Topic names are subjects for a broker: ids must not add separators or wildcards. */
function id(value: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) throw new Error(`not a topic id: ${value.slice(0, 80)}`);
  return value;
}

/** A node id (settings' nodeId: also `_`) as a subject token. */
function nodeToken(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new Error(`not a node id: ${value.slice(0, 80)}`);
  return value;
}

/** The topics. */
export const topics = {
  presence: { name: "presence" } as Topic<PresenceMessage>,
  presenceSync: { name: "presence.sync" } as Topic<PresenceSync>,
  clusterEvents: { name: "cluster.events" } as Topic<ClusterNudge>,
  offer: (camera: string): RequestTopic<OfferRequest, OfferReply> => ({
    name: `camera.${id(camera)}.offer`,
  }),
  restart: (camera: string): RequestTopic<RestartRequest, RestartReply> => ({
    name: `camera.${id(camera)}.restart`,
  }),
  control: (camera: string): Topic<ControlMessage> => ({ name: `camera.${id(camera)}.control` }),
  sessionClosed: (sessionId: string): Topic<SessionClosed> => ({
    name: `session.${id(sessionId)}.closed`,
  }),
  sessionOp: (sessionId: string): RequestTopic<SessionOpRequest, SessionOpReply> => ({
    name: `session.${id(sessionId)}.op`,
  }),
  sessionState: (sessionId: string): Topic<SessionState> => ({
    name: `session.${id(sessionId)}.state`,
  }),
  nodeAnnounce: { name: "cluster.node" } as Topic<NodeAnnounce>,
  nodeSessions: (node: string): RequestTopic<NodeSessionsRequest, NodeSessionsReply> => ({
    name: `node.${nodeToken(node)}.sessions`,
  }),
  nodeAudit: (node: string): RequestTopic<NodeAuditRequest, NodeAuditReply> => ({
    name: `node.${nodeToken(node)}.audit`,
  }),
  nodeEnd: (node: string): RequestTopic<NodeEndRequest, NodeEndReply> => ({
    name: `node.${nodeToken(node)}.end`,
  }),
  nodeCounts: (node: string): RequestTopic<NodeCountsRequest, NodeCountsReply> => ({
    name: `node.${nodeToken(node)}.counts`,
  }),
  nodeDevices: (node: string): RequestTopic<NodeDevicesRequest, NodeDevicesReply> => ({
    name: `node.${nodeToken(node)}.devices`,
  }),
};
