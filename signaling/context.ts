/**
 * Everything a request handler needs, built once by `server.ts`. Handlers
 * receive it explicitly: no globals, so tests can run several servers in one
 * process.
 * @module
 */
import type { AuditLog } from "./audit.ts";
import type { EventBus } from "./bus.ts";
import type { ServerConfig } from "./config.ts";
import type { KeyRing } from "./auth/jwt_keys.ts";
import type { Database } from "./store/db.ts";
import type { PkiState } from "./pki_state.ts";
import type { Presence } from "./presence.ts";
import type { RevocationList } from "./revocation.ts";
import type { Throttle } from "./rate_limit.ts";
import type { WhepSessions } from "./whep_sessions.ts";

/** Shared server state. */
export interface ServerContext {
  config: ServerConfig;
  db: Database;
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
  sessions: WhepSessions;
  throttles: {
    loginUser: Throttle;
    loginAddress: Throttle;
    enrollAddress: Throttle;
  };
}
