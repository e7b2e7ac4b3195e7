/**
 * The server's settings: one zod schema holds every setting with its default
 * and a one-line description. `options.ts` reads them from the command line
 * and an optional `--config FILE`; the README's table is generated from here
 * (`deno task docs:config`). Pure: no I/O.
 *
 * @example
 * ```ts
 * const settings = serverSettings({ dataDir: "/tmp/vigil", port: 0, devicePort: 0 });
 * settings.answerTimeoutMs; // 10000
 * ```
 * @module
 */
import { z } from "zod";
import { HEARTBEAT_MS } from "../../lib/channel_limits.ts";
import { byteSize, duration, settingFlag as flag } from "../../lib/settings.ts";
import { MAX_TOKEN_TTL_MS } from "../auth/jwt_keys.ts";
import { parseIceServerUrl } from "../../lib/ice_urls.ts";
import { parseNatsUrl } from "../bus/nats_url.ts";
import { parsePostgresUrl } from "../store/postgres_url.ts";
import { resolveStoreTls } from "../store/postgres_tls.ts";

const port = (def: number) => z.number().int().min(0).max(65535).default(def);
const count = (def: number, max: number) => z.number().int().min(1).max(max).default(def);
const maxTokenTtl = `${MAX_TOKEN_TTL_MS / 60_000}m`;

/** An ICE server as handed to publishers (`welcome.iceServers`); `urls` normalized to a list. */
export const IceServerSchema = z.object({
  urls: z.union([z.string(), z.array(z.string()).min(1)])
    .transform((u) => typeof u === "string" ? [u] : u)
    .pipe(
      z.array(
        z.string().regex(/^(stun|turns?):[^\s]+$/, "an ICE server URL is stun:, turn: or turns:"),
      ),
    ),
  username: z.string().max(512).optional(),
  credential: z.string().max(512).optional(),
}).strict();

/** An ICE server with `urls` as a list. */
export type IceServer = z.output<typeof IceServerSchema>;

/**
 * A web origin as browsers send it in `Origin` (RFC 6454): `scheme://host[:port]`,
 * lower case, no default port, no path. Compared byte for byte with the request's.
 */
export const CorsOriginSchema = z.string().max(253).refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "https:" || u.protocol === "http:") && u.origin === s;
    } catch {
      return false;
    }
  },
  "an origin is scheme://host[:port] as a browser sends it, e.g. https://player.example.com (http or https, lower case, no path, no trailing slash, no default port)",
);

/** A setting whose value must parse with `parse` (its error message becomes the issue). */
function parsedBy(parse: (s: string) => unknown) {
  return z.string().max(2000).superRefine((v, ctx) => {
    try {
      parse(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: (err as Error).message });
    }
  });
}

function tryParse<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch {
    return null;
  }
}

const file = (what: string) => z.string().min(1).nullable().default(null).describe(what);

/** Every server setting. */
export const ServerSettingsSchema = z.object({
  dataDir: flag(
    z.string().min(1).default("./data").describe(
      "database, CA, JWT keys and audit log (dir 0700, keys 0600)",
    ),
    "data-dir",
    "DIR",
  ),
  host: flag(
    z.string().min(1).default("0.0.0.0").describe("listen address of both ports"),
    "host",
    "ADDR",
  ),
  port: flag(
    port(8443).describe(
      "public HTTPS port: viewers, enrollment, the viewer app (0: any free port)",
    ),
    "port",
    "N",
  ),
  devicePort: flag(
    port(8444).describe(
      "device mTLS port: device tokens, renewal, device channel (0: any free port)",
    ),
    "device-port",
    "N",
  ),
  san: flag(
    z.array(z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, "a DNS name or an IP address"))
      .default([])
      .describe(
        "extra DNS name or IP of the server certificate, beyond the host name, localhost and 127.0.0.1",
      ),
    "san",
    "NAME",
  ),
  tlsCertFile: flag(
    z.string().min(1).nullable().default(null).describe(
      "operator certificate chain for the public port, instead of one from the built-in CA",
    ),
    "tls-cert",
    "FILE",
  ),
  tlsKeyFile: flag(
    z.string().min(1).nullable().default(null).describe("the private key of --tls-cert"),
    "tls-key",
    "FILE",
  ),
  webDir: flag(
    z.string().min(1).default("./subscriber-web/dist").describe("the built viewer app"),
    "web-dir",
    "DIR",
  ),
  deviceCertLifetimeMs: flag(
    duration("24h", { min: "1m", max: "365d" }).describe(
      "device certificate lifetime (devices renew at 2/3 of it)",
    ),
    "cert-lifetime",
    "DUR",
  ),
  enrollTokenTtlMs: duration("15m", { min: "1m", max: "30d" }).describe(
    "lifetime of a device:add enrollment token (read by the operator commands given --config)",
  ),
  accessTokenTtlMs: flag(
    duration("5m", { min: "30s", max: maxTokenTtl }).describe(
      `viewer access token lifetime (at most ${maxTokenTtl})`,
    ),
    "access-token-ttl",
    "DUR",
  ),
  refreshTokenTtlMs: flag(
    duration("12h", { min: "10m", max: "90d" }).describe(
      "how long a viewer stays logged in without activity (rotating refresh cookie)",
    ),
    "refresh-token-ttl",
    "DUR",
  ),
  deviceTokenTtlMs: flag(
    duration("5m", { min: "30s", max: maxTokenTtl }).describe(
      `device token lifetime (opens the device channel; at most ${maxTokenTtl})`,
    ),
    "device-token-ttl",
    "DUR",
  ),
  answerTimeoutMs: flag(
    duration("10s", { min: "100ms", max: "2m" }).describe(
      "wait for a publisher's WHEP answer (then 504)",
    ),
    "answer-timeout",
    "DUR",
  ),
  maxSessionsPerCamera: flag(
    count(16, 1000).describe(
      "most viewers of one camera over all nodes (a publisher announcing a lower maxViewers lowers it)",
    ),
    "max-sessions-per-camera",
    "N",
  ),
  maxSessionsPerViewer: flag(
    count(4, 100).describe("most sessions one viewer account has open at once (over all nodes)"),
    "max-sessions-per-viewer",
    "N",
  ),
  heartbeatMs: flag(
    duration("3s", { min: `${HEARTBEAT_MS.min}ms`, max: `${HEARTBEAT_MS.max}ms` }).describe(
      "how often devices send a heartbeat (told in welcome)",
    ),
    "heartbeat",
    "DUR",
  ),
  deviceTimeoutMs: flag(
    duration("10s", { min: "1s", max: "10m" }).describe(
      "a device silent this long is offline (at least 2 heartbeats)",
    ),
    "device-timeout",
    "DUR",
  ),
  connectTimeoutMs: flag(
    duration("5s", { min: "1s", max: "2m" }).describe(
      "a WHEP session whose ICE/DTLS has not connected this long after its answer is ended",
    ),
    "connect-timeout",
    "DUR",
  ),
  corsOrigins: flag(
    z.array(CorsOriginSchema).default([]).describe(
      "a web origin whose pages may use the WHEP endpoints (CORS); none: same origin only",
    ),
    "cors-origin",
    "ORIGIN",
  ),
  iceServers: z.array(IceServerSchema).default([]).describe(
    "STUN/TURN servers with fixed credentials, [{urls, username?, credential?}] (config file only)",
  ),
  // TURN with REST credentials (draft-uberti-behave-turn-rest): signaling/turn/.
  iceServerUrls: flag(
    z.array(
      z.string().max(256).superRefine((u, ctx) => {
        const r = parseIceServerUrl(u);
        if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
      }),
    ).max(16).default([]).describe(
      "a STUN/TURN server (stun:, turn:, turns:, ?transport=udp|tcp); turn: gets a credential per session",
    ),
    "ice-server",
    "URL",
  ),
  turnSecretFile: flag(
    z.string().min(1).nullable().default(null).describe(
      "secret shared with coturn (0600); default <data-dir>/turn/secret, made on first start",
    ),
    "turn-secret-file",
    "FILE",
  ),
  // Passkeys (WebAuthn, signaling/http/routes/passkeys.ts).
  rpId: flag(
    z.string().regex(
      /^[a-z0-9.-]{1,253}$/,
      "an RP ID is a lower-case DNS name, e.g. cams.example.com",
    )
      .nullable().default(null).describe(
        "WebAuthn relying party ID of the passkeys (default: --host if a DNS name, else localhost)",
      ),
    "rp-id",
    "NAME",
  ),
  origin: flag(
    CorsOriginSchema.nullable().default(null).describe(
      "origin the viewer app is served from, checked in passkey ceremonies (default: https://<Host header> when its name is the RP ID)",
    ),
    "origin",
    "ORIGIN",
  ),
  adminRequirePasskey: flag(
    z.boolean().default(false).describe(
      "admins must have logged in with a passkey that verified them (PIN or biometrics): /api/admin refuses (403) other logins",
    ),
    "admin-require-passkey",
  ),
  // Prometheus metrics (signaling/metrics/): off unless a token file is given.
  metricsTokenFile: flag(
    z.string().min(1).nullable().default(null).describe(
      "Bearer token (one line, ≥ 32 chars) that GET /metrics requires; without it /metrics is off",
    ),
    "metrics-token-file",
    "FILE",
  ),
  turnTtlMs: flag(
    duration("5m", { min: "1s", max: "24h" }).describe(
      "TURN credential lifetime (new allocations; running relays are refreshed past it)",
    ),
    "turn-ttl",
    "DUR",
  ),
  // Recordings uploaded by the cameras (signaling/recordings/).
  recordingsRetentionMs: flag(
    duration("30d", { min: "1h", max: "3650d" }).describe(
      "keep recorded segments this long (oldest deleted first)",
    ),
    "recordings-retention",
    "DUR",
  ),
  recordingsMaxBytes: flag(
    byteSize("20GiB", { min: "1KB" }).describe(
      "most bytes of recordings kept, all cameras together (oldest deleted first)",
    ),
    "recordings-max-bytes",
    "SIZE",
  ),
  recordingsMaxSegmentBytes: flag(
    byteSize("128MiB", { min: "64KiB", max: "4GiB" }).describe(
      "largest segment a camera may upload (refused while reading beyond it)",
    ),
    "recordings-max-segment",
    "SIZE",
  ),
  recordingsUploadsPerMinute: count(120, 10_000).describe(
    "segment uploads one camera may start per minute (then 429)",
  ),
  recordingsKeyFile: flag(
    z.string().min(1).nullable().default(null).describe(
      "key sealing stored recordings (32 bytes base64, 0600); default <data-dir>/keys/recordings.key, made on first start",
    ),
    "recordings-key-file",
    "FILE",
  ),
  // Connection limits of both listeners (http/connection_guard.ts, THREAT-MODEL.md "Limits").
  maxConnectionsPerAddress: flag(
    count(64, 100_000).describe(
      "most open connections from one address per listener (more are closed at accept)",
    ),
    "max-connections-per-address",
    "N",
  ),
  headersTimeoutMs: flag(
    duration("10s", { min: "1s", max: "5m" }).describe(
      "a connection's TLS handshake and each request's headers must arrive within this",
    ),
    "headers-timeout",
    "DUR",
  ),
  bodyTimeoutMs: flag(
    duration("30s", { min: "1s", max: "10m" }).describe(
      "a request body must arrive completely within this after its headers",
    ),
    "body-timeout",
    "DUR",
  ),
  // Cluster (docs/DEPLOY.md): shared store, bus and key material; none of them is the default.
  store: flag(
    parsedBy(parsePostgresUrl).nullable().default(null).describe(
      "shared store postgres://USER@HOST[:PORT]/DB for a cluster (default: SQLite in the data dir)",
    ),
    "store",
    "URL",
  ),
  storePasswordFile: flag(
    file("file holding the --store password (else the env var VIGIL_STORE_PASSWORD)"),
    "store-password-file",
    "FILE",
  ),
  storeCaFile: flag(
    file(
      "CA bundle (PEM) of the --store server's certificate: TLS required, certificate and host name verified (verify-full)",
    ),
    "store-ca-file",
    "FILE",
  ),
  storeTls: flag(
    z.enum(["require", "verify-full"]).nullable().default(null).describe(
      "TLS to --store without a CA file: verify-full (the default roots) or require (encrypted, server unchecked); default: verify-full with --store-ca-file, else none",
    ),
    "store-tls",
    "MODE",
  ),
  storeCertFile: flag(
    file("client certificate (PEM) for the --store server's cert authentication"),
    "store-cert-file",
    "FILE",
  ),
  storeKeyFile: flag(file("the private key (0600) of --store-cert-file"), "store-key-file", "FILE"),
  kekFile: flag(
    file(
      "key-encryption key (0600, 32 random bytes base64) sealing the CA and JWT keys in --store",
    ),
    "kek-file",
    "FILE",
  ),
  bus: flag(
    parsedBy(parseNatsUrl).nullable().default(null).describe(
      "NATS bus nats://[USER@]HOST:PORT (tls:// for TLS; comma-separated) (default: in-process)",
    ),
    "bus",
    "URL",
  ),
  busPasswordFile: flag(
    file("file holding the NATS user's password (else the env var VIGIL_BUS_PASSWORD)"),
    "bus-password-file",
    "FILE",
  ),
  busNkeyFile: flag(
    file("file holding the NATS nkey user's seed (SU…), instead of a user and password"),
    "bus-nkey-file",
    "FILE",
  ),
  busCaFile: flag(file("CA certificate (PEM) of the NATS servers (tls://)"), "bus-ca", "FILE"),
  advertisedDevicePort: flag(
    z.number().int().min(1).max(65535).nullable().default(null).describe(
      "device port told to enrolling devices, when they reach it through a load balancer (default: --device-port)",
    ),
    "advertise-device-port",
    "N",
  ),
  nodeId: flag(
    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a node id is 1-64 of A-Z a-z 0-9 _ -").nullable()
      .default(null).describe("this node's name in logs and on the bus (default: random)"),
    "node-id",
    "NAME",
  ),
  clusterAnnounceMs: flag(
    duration("5s", { min: "50ms", max: "1m" }).describe(
      "how often a node announces itself to the others (a cluster); one silent 3 times as long has left",
    ),
    "cluster-announce",
    "DUR",
  ),
}).strict().superRefine((s, ctx) => {
  if ((s.tlsCertFile === null) !== (s.tlsKeyFile === null)) {
    ctx.addIssue({
      code: "custom",
      path: [s.tlsCertFile === null ? "tlsCertFile" : "tlsKeyFile"],
      message: "--tls-cert and --tls-key go together",
    });
  }
  // The URL's own errors are reported on it; TLS is checked against a valid one.
  const url = s.store === null ? null : tryParse(() => parsePostgresUrl(s.store!));
  if (s.store === null || url) {
    try {
      resolveStoreTls(url?.sslmode, s, s.store !== null);
    } catch (err) {
      ctx.addIssue({ code: "custom", path: ["store"], message: (err as Error).message });
    }
  }
  if (s.store !== null && s.kekFile === null) {
    ctx.addIssue({
      code: "custom",
      path: ["kekFile"],
      message: "--store postgres://… needs --kek-file (the CA and JWT keys are sealed under it)",
    });
  }
  if (s.store !== null && s.bus === null) {
    ctx.addIssue({
      code: "custom",
      path: ["bus"],
      message: "--store postgres://… (a cluster) needs --bus nats://… so nodes reach each other",
    });
  }
  if (s.busNkeyFile !== null && s.bus !== null && parseNatsUrl(s.bus).user !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["busNkeyFile"],
      message: "--bus-nkey-file replaces the user in the --bus URL: give one of them",
    });
  }
  if (s.deviceTimeoutMs < 2 * s.heartbeatMs) {
    ctx.addIssue({
      code: "custom",
      path: ["deviceTimeoutMs"],
      message: "must be at least two heartbeat intervals",
    });
  }
});

/** Validated server settings (durations in milliseconds). */
export type ServerSettings = z.output<typeof ServerSettingsSchema>;

/**
 * Settings from overrides over the defaults, validated (throws a ZodError);
 * for in-process servers (tests, benchmarks). Programs use `options.ts`.
 */
export function serverSettings(
  overrides: Partial<z.input<typeof ServerSettingsSchema>> = {},
): ServerSettings {
  return ServerSettingsSchema.parse(overrides);
}
