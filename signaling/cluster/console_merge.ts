/**
 * Merging the nodes' answers for the operator console (cluster/node_console.ts):
 * one session list, one audit log, one view of the device channels. Pure.
 * @module
 */
import type { Json } from "../bus/bus.ts";
import type { AdminSession, NodeChannel, NodeDevicesReply } from "../bus/topics.ts";

/** An audit entry as it travels: a JSON object. */
export type AuditEntry = { [key: string]: Json };

/** The device channels of the whole cluster, each with the node holding it. */
export interface ClusterDevices {
  /** By device id; when two nodes claim one (a reconnect in flight), the newest connection. */
  channels: Map<string, NodeChannel & { node: string }>;
  /** By device id: the latest time it spoke to any node. */
  lastSeen: Map<string, number>;
}

/** Every node's device channels and last-seen times merged. */
export function mergeDevices(perNode: { node: string; reply: NodeDevicesReply }[]): ClusterDevices {
  const channels = new Map<string, NodeChannel & { node: string }>();
  const lastSeen = new Map<string, number>();
  for (const { node, reply } of perNode) {
    for (const ch of Array.isArray(reply.channels) ? reply.channels : []) {
      const held = channels.get(ch.deviceId);
      if (!held || ch.connectedAt > held.connectedAt) channels.set(ch.deviceId, { ...ch, node });
    }
    for (const s of Array.isArray(reply.lastSeen) ? reply.lastSeen : []) {
      if (s.at > (lastSeen.get(s.deviceId) ?? -Infinity)) lastSeen.set(s.deviceId, s.at);
    }
  }
  return { channels, lastSeen };
}

/** Every node's sessions in one list, oldest first (ties by node, then id). */
export function mergeSessions(lists: AdminSession[][]): AdminSession[] {
  return lists.flat().sort((x, y) =>
    (x.since ?? "").localeCompare(y.since ?? "") || x.node.localeCompare(y.node) ||
    x.id.localeCompare(y.id)
  );
}

/**
 * Every node's entries (each newest first) tagged with their node, newest
 * first by `ts` (ISO 8601 in UTC: text order is time order), the newest
 * `limit` of all. The sort is stable: a node's own order holds within one ms.
 */
export function mergeAudit(
  perNode: { node: string; entries: AuditEntry[] }[],
  limit: number,
): AuditEntry[] {
  const all = perNode.flatMap(({ node, entries }) => entries.map((e) => ({ ...e, node })));
  const ts = (e: AuditEntry) => typeof e.ts === "string" ? e.ts : "";
  return all.sort((x, y) => ts(y).localeCompare(ts(x))).slice(0, limit);
}

/**
 * The first entries whose JSON fits in `maxBytes` (one bus message; NATS's
 * default limit is 1 MiB): a node answers with fewer rather than not at all.
 */
export function fitEntries(
  entries: AuditEntry[],
  maxBytes: number,
): { entries: AuditEntry[]; truncated: boolean } {
  const enc = new TextEncoder();
  let bytes = 64; // the envelope
  for (let i = 0; i < entries.length; i++) {
    bytes += enc.encode(JSON.stringify(entries[i])).length + 1;
    if (bytes > maxBytes) return { entries: entries.slice(0, i), truncated: true };
  }
  return { entries, truncated: false };
}
