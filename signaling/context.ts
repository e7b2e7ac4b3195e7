/**
 * Everything a request handler needs, built once by `server.ts`. Handlers
 * receive it explicitly: no globals, so tests can run several servers in one
 * process.
 * @module
 */
import type { AuditLog } from "./audit/audit_log.ts";
import type { EventBus } from "./bus/bus.ts";
import type { ServerSettings } from "./config/settings.ts";
import type { KeyRing } from "./auth/jwt_keys.ts";
import type { Store } from "./store/store.ts";
import type { PkiState } from "./certs/pki_state.ts";
import type { Presence } from "./devices/presence.ts";
import type { RevocationList } from "./devices/revocation.ts";
import type { Throttle } from "./auth/rate_limit.ts";
import type { ViewingSessions } from "./sessions/viewing.ts";
import type { LiveGrants } from "./auth/live_grants.ts";
import type { RecordingArchive } from "./recordings/archive.ts";
import type { Snapshots } from "./recordings/snapshots.ts";
import type { Readiness } from "./cluster/readiness.ts";
import type { IceService } from "./turn/ice_service.ts";
import type { DeviceHub } from "./devices/hub.ts";
import type { ServerMetrics } from "./metrics/metrics.ts";
import type { ClusterMembers } from "./cluster/members.ts";
import type { NodeConsole } from "./cluster/node_console.ts";

/** Shared server state. */
export interface ServerContext {
  config: ServerSettings;
  /** STUN/TURN servers and the per-session TURN credentials. */
  ice: IceService;
  store: Store;
  ring: KeyRing;
  pki: PkiState;
  /** The `iss` of every token this server signs. */
  issuer: string;
  audit: AuditLog;
  /** When this server started (the "offline since" of never-seen cameras). */
  startedAt: number;
  bus: EventBus;
  presence: Presence;
  revocations: RevocationList;
  /** Open streams and sessions, ended when their grant goes (auth/live_grants.ts). */
  grants: LiveGrants;
  /** Every viewing (WHEP) session: the one owner of their lives. */
  viewing: ViewingSessions;
  /** The cameras' uploaded recordings. */
  recordings: RecordingArchive;
  /** The cameras' latest snapshots. */
  snapshots: Snapshots;
  /** This node's device channels (the console's online state, address, version). */
  hub: DeviceHub;
  /** Prometheus metrics; exposed on `GET /metrics` only with `metricsToken`. */
  metrics: ServerMetrics;
  /** The Bearer token of `GET /metrics` (`--metrics-token-file`); null: off. */
  metricsToken: string | null;
  /** This node's id (logs, bus messages); random in one process. */
  nodeId: string;
  /** The live nodes of the cluster (this one alone in one process). */
  members: ClusterMembers;
  /** The console's cluster-wide sessions and audit log. */
  nodeConsole: NodeConsole;
  /** What `/readyz` reports: store, bus and keys usable. */
  readiness: Readiness;
  throttles: {
    loginUser: Throttle;
    loginAddress: Throttle;
    enrollAddress: Throttle;
    /** Passkey ceremonies started and not finished, per address (each stores a challenge). */
    ceremonyAddress: Throttle;
  };
}
