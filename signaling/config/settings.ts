/**
 * Server configuration: CLI flags over embedded defaults. Pure: no I/O here.
 * @module
 */
import { z } from "zod";

/** Validated server settings. */
export interface ServerConfig {
  dataDir: string;
  host: string;
  /** Public HTTPS listener (viewers, enrollment). 0 = any free port. */
  port: number;
  /** mTLS listener for devices. 0 = any free port. */
  devicePort: number;
  /** Extra names and addresses for the server certificate. */
  sanDns: string[];
  sanIp: string[];
  /** Operator-provided certificate for the public listener (else the built-in CA's). */
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  /** Directory of the built viewer (subscriber-web/dist). */
  webDir: string;
  deviceCertLifetimeMs: number;
  enrollTokenTtlMs: number;
  accessTokenTtlMs: number;
  deviceTokenTtlMs: number;
  refreshTokenTtlMs: number;
  answerTimeoutMs: number;
  maxSessionsPerCamera: number;
  maxSessionsPerViewer: number;
  heartbeatMs: number;
  /** A device silent this long is offline. */
  deviceTimeoutMs: number;
  /** ICE servers handed to publishers and viewers (none by default: LAN/loopback). */
  iceServers: { urls: string[]; username?: string; credential?: string }[];
  /** Write the audit log to `<dataDir>/audit.log`. */
  auditFile: boolean;
}

/** Defaults: a camera server on one host, reachable on the LAN. */
export const DEFAULTS: ServerConfig = {
  dataDir: "./data",
  host: "0.0.0.0",
  port: 8443,
  devicePort: 8444,
  sanDns: [],
  sanIp: [],
  tlsCertFile: null,
  tlsKeyFile: null,
  webDir: "./subscriber-web/dist",
  deviceCertLifetimeMs: 24 * 3_600_000,
  enrollTokenTtlMs: 15 * 60_000,
  accessTokenTtlMs: 5 * 60_000,
  deviceTokenTtlMs: 5 * 60_000,
  refreshTokenTtlMs: 12 * 3_600_000,
  answerTimeoutMs: 10_000,
  maxSessionsPerCamera: 16,
  maxSessionsPerViewer: 4,
  heartbeatMs: 3_000,
  deviceTimeoutMs: 10_000,
  iceServers: [],
  auditFile: true,
};

/** Device ids (= camera ids): DNS-label-like, lowercase. */
export const DEVICE_ID = z.string().regex(
  /^[a-z0-9][a-z0-9-]{0,62}$/,
  "a device id is 1–63 characters of a-z, 0-9 and '-', starting with a letter or digit",
);

/** User names for viewer accounts. */
export const USER_NAME = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
  "a user name is 1–64 characters of letters, digits, '.', '_', '@' and '-'",
);

/** Returns the config with overrides applied. */
export function makeConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...DEFAULTS, ...overrides };
}
