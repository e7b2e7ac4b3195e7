/**
 * The operator console's cluster-wide answers: the live sessions and the
 * audit log of every node, and ending a session wherever it is held. This
 * node answers its own `node.<id>.sessions`, `node.<id>.audit` and
 * `node.<id>.end` (bus/topics.ts); the console asks every live node
 * (members.ts) in parallel, this one directly. A node that does not answer
 * within `timeoutMs` is named `unreachable`; the others' answers still count.
 *
 * @example
 * ```ts
 * const { sessions, unreachable } = await console.sessions();
 * await console.end(sessionId, "root", "203.0.113.5"); // "ended" | "unknown" | { unreachable }
 * ```
 * @module
 */
import type { AuditLog } from "../audit/audit_log.ts";
import { type AuditFilter, queryAuditFile } from "../audit/audit_query.ts";
import type { EventBus, Json } from "../bus/bus.ts";
import {
  type AdminSession,
  type NodeAuditRequest,
  type NodeCountsReply,
  type NodeDevicesReply,
  topics,
} from "../bus/topics.ts";
import type { DeviceHub } from "../devices/hub.ts";
import type { ViewingSessions } from "../sessions/viewing.ts";
import type { WhepSession } from "../sessions/table.ts";
import {
  type AuditEntry,
  type ClusterDevices,
  fitEntries,
  mergeAudit,
  mergeDevices,
  mergeSessions,
} from "./console_merge.ts";
import type { ClusterMembers } from "./members.ts";

/** A node's answer: within this or it is unreachable. */
export const NODE_REPLY_TIMEOUT_MS = 1_000;

/** How long a session setup waits for other nodes' counts (one NATS round trip is ~0.35 ms). */
export const COUNTS_TIMEOUT_MS = 250;

/** An audit reply's size cap, under NATS's default 1 MiB message limit. */
const MAX_AUDIT_REPLY_BYTES = 768 * 1024;

/** What {@linkcode NodeConsole} works with. */
export interface NodeConsoleOptions {
  bus: EventBus;
  members: Pick<ClusterMembers, "nodeId" | "nodes">;
  viewing: Pick<ViewingSessions, "list" | "get" | "endByAdmin" | "counts">;
  hub: Pick<DeviceHub, "channels" | "seen">;
  audit: Pick<AuditLog, "log">;
  /** This node's audit log file. */
  auditPath: string;
  timeoutMs?: number;
}

/** The path of a session as the publisher reported it: relay when either side is a TURN relay. */
export function sessionPath(s: Pick<WhepSession, "pair">): "direct" | "relay" | null {
  if (!s.pair) return null;
  return s.pair.local === "relay" || s.pair.remote === "relay" ? "relay" : "direct";
}

const iso = (ms: number) => new Date(ms).toISOString();

/** This node's part of the console, and the whole cluster's answers. */
export class NodeConsole {
  readonly #o: NodeConsoleOptions;
  readonly #node: string;
  readonly #offs: (() => void)[];

  constructor(o: NodeConsoleOptions) {
    this.#o = o;
    this.#node = o.members.nodeId;
    this.#offs = [
      o.bus.respond(topics.nodeSessions(this.#node), () => ({ sessions: this.localSessions() })),
      o.bus.respond(topics.nodeAudit(this.#node), async (f) => {
        const entries = await this.#localAudit(filterOf(f));
        return fitEntries(entries, MAX_AUDIT_REPLY_BYTES);
      }),
      o.bus.respond(topics.nodeDevices(this.#node), () => this.localDevices()),
      o.bus.respond(
        topics.nodeCounts(this.#node),
        (r) =>
          typeof r?.camera === "string" && typeof r?.viewer === "string"
            ? o.viewing.counts(r.camera.slice(0, 64), r.viewer.slice(0, 64))
            : { camera: 0, viewer: 0 },
      ),
      o.bus.respond(topics.nodeEnd(this.#node), (r) => ({
        ended: typeof r?.session === "string" && this.endLocal(r.session, r.admin, r.ip),
      })),
    ];
  }

  /** This node's live sessions, oldest first. */
  localSessions(): AdminSession[] {
    return this.#o.viewing.list().map((s) => ({
      id: s.id,
      camera: s.camera,
      viewer: s.viewer,
      since: iso(s.createdAt),
      from: s.ip || null,
      path: sessionPath(s),
      pair: s.pair,
      iceRestarts: s.iceRestarts,
      node: this.#node,
    }));
  }

  /**
   * The other live nodes' sessions of `camera` and of `viewer`, for the
   * session limits. A node that does not answer within `COUNTS_TIMEOUT_MS`
   * counts as none: a hung node must not stall every session setup.
   */
  async elsewhere(camera: string, viewer: string): Promise<NodeCountsReply> {
    const others = this.#o.members.nodes().filter((n) => n !== this.#node);
    if (others.length === 0) return { camera: 0, viewer: 0 };
    const r = await this.#ask(
      (node) => this.#o.bus.request(topics.nodeCounts(node), { camera, viewer }, COUNTS_TIMEOUT_MS),
      others,
    );
    const n = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? v as number : 0);
    return r.answers.reduce(
      (sum, a) => ({ camera: sum.camera + n(a.camera), viewer: sum.viewer + n(a.viewer) }),
      { camera: 0, viewer: 0 },
    );
  }

  /** This node's device channels and last-seen times. */
  localDevices(): NodeDevicesReply {
    return {
      channels: this.#o.hub.channels().map((c) => ({
        deviceId: c.deviceId,
        address: c.address,
        version: c.version,
        connectedAt: c.connectedAt,
        stats: c.stats,
      })),
      lastSeen: this.#o.hub.seen(),
    };
  }

  /** The device channels of every live node (address, version, last seen); who did not answer. */
  async devices(): Promise<ClusterDevices & { unreachable: string[] }> {
    const r = await this.#ask(async (node) => ({
      node,
      reply: node === this.#node
        ? this.localDevices()
        : await this.#o.bus.request(topics.nodeDevices(node), {}, this.#timeout),
    }));
    return { ...mergeDevices(r.answers), unreachable: r.unreachable };
  }

  /** Every live node's sessions, oldest first; the nodes that did not answer. */
  async sessions(): Promise<{ sessions: AdminSession[]; unreachable: string[] }> {
    const r = await this.#ask((node) =>
      node === this.#node
        ? { sessions: this.localSessions() }
        : this.#o.bus.request(topics.nodeSessions(node), {}, this.#timeout)
    );
    return {
      sessions: mergeSessions(r.answers.map((a) => Array.isArray(a.sessions) ? a.sessions : [])),
      unreachable: r.unreachable,
    };
  }

  /** The newest `f.limit` matching entries of every live node's log, each with its `node`. */
  async auditEntries(f: AuditFilter): Promise<{ entries: AuditEntry[]; unreachable: string[] }> {
    const request: NodeAuditRequest = { ...f };
    const r = await this.#ask(async (node) =>
      node === this.#node ? { node, entries: await this.#localAudit(f) } : {
        node,
        entries: (await this.#o.bus.request(topics.nodeAudit(node), request, this.#timeout))
          .entries,
      }
    );
    const perNode = r.answers.map((a) => ({
      node: a.node,
      entries: Array.isArray(a.entries) ? a.entries : [],
    }));
    return { entries: mergeAudit(perNode, f.limit), unreachable: r.unreachable };
  }

  /** Ends a session held here, audited as the admin's; false when this node does not hold it. */
  endLocal(id: string, admin: string, ip: string): boolean {
    const s = this.#o.viewing.get(id);
    if (!s || !this.#o.viewing.endByAdmin(id, admin)) return false;
    this.#o.audit.log("admin.session_ended", {
      admin,
      ip,
      session: id,
      camera: s.camera,
      viewer: s.viewer,
    });
    return true;
  }

  /**
   * Ends a session wherever it is held: here, else by the node holding it.
   * "unknown" only when every live node answered that it does not hold it.
   */
  async end(
    id: string,
    admin: string,
    ip: string,
  ): Promise<"ended" | "unknown" | { unreachable: string[] }> {
    if (this.endLocal(id, admin, ip)) return "ended";
    const others = this.#o.members.nodes().filter((n) => n !== this.#node);
    const r = await this.#ask(
      (node) =>
        this.#o.bus.request(topics.nodeEnd(node), { session: id, admin, ip }, this.#timeout),
      others,
    );
    if (r.answers.some((a) => a.ended === true)) return "ended";
    return r.unreachable.length > 0 ? { unreachable: r.unreachable } : "unknown";
  }

  close(): void {
    for (const off of this.#offs) off();
  }

  get #timeout(): number {
    return this.#o.timeoutMs ?? NODE_REPLY_TIMEOUT_MS;
  }

  #localAudit(f: AuditFilter): Promise<AuditEntry[]> {
    return queryAuditFile(this.#o.auditPath, f) as Promise<AuditEntry[]>;
  }

  /** Asks `nodes` in parallel; an error or no answer in time makes a node unreachable. */
  async #ask<R extends Json>(
    ask: (node: string) => Promise<R> | R,
    nodes = this.#o.members.nodes(),
  ): Promise<{ answers: R[]; unreachable: string[] }> {
    const settled = await Promise.allSettled(nodes.map(async (n) => await ask(n)));
    const answers: R[] = [];
    const unreachable: string[] = [];
    settled.forEach((s, i) => {
      if (s.status === "fulfilled" && s.value && typeof s.value === "object") answers.push(s.value);
      else unreachable.push(nodes[i]);
    });
    return { answers, unreachable };
  }
}

/** The filter fields of a request from another node, nothing else. */
function filterOf(r: NodeAuditRequest): AuditFilter {
  const str = (v: unknown) => typeof v === "string" && v.length <= 64 ? v : undefined;
  const limit = Number.isInteger(r?.limit) ? Math.min(Math.max(r.limit, 1), 1000) : 100;
  return { kind: str(r?.kind), device: str(r?.device), user: str(r?.user), limit };
}
