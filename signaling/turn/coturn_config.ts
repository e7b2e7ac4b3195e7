/**
 * The coturn configuration of one deployment: the project's fixed,
 * hardened part (`containers/coturn/turnserver.conf`) followed by the
 * values that differ per deployment, validated here. Pure except for
 * {@linkcode loadCoturnTemplate} and {@linkcode writeCoturnConfig}.
 *
 * Deployment values: the addresses coturn listens and relays on, the realm,
 * ports, TLS files for `turns:`, the server's **own** addresses and networks
 * (denied as peers, so an allocation can never reach the server's loopback,
 * private network or its own public address), the ranges the operator
 * explicitly allows (coturn lets `allowed-peer-ip` win over a deny), and
 * the shared secret. The output holds the secret: write it 0600.
 *
 * @example
 * ```ts
 * const text = renderCoturnConfig(await loadCoturnTemplate(), {
 *   realm: "cams.example.com", listeningIps: ["203.0.113.10"], secret,
 *   ownAddresses: ["203.0.113.10", "10.99.0.0/24"], stateDir: "/data/turn",
 * });
 * await writeCoturnConfig("/data/turn/turnserver.conf", text);
 * ```
 * @module
 */
import { z } from "zod";
import { parseIpAddress } from "../../pki/ip_address.ts";
import { writeSecretFile } from "../../pki/files.ts";
import { TURN_SECRET_PATTERN } from "./secret.ts";

/** Where the project's fixed configuration lives. */
export const COTURN_TEMPLATE_URL = new URL(
  "../../containers/coturn/turnserver.conf",
  import.meta.url,
);

/** Reads the project's fixed configuration. */
export function loadCoturnTemplate(): Promise<string> {
  return Deno.readTextFile(COTURN_TEMPLATE_URL);
}

const ip = z.string().refine((s) => parseIpAddress(s) !== null, { message: "not an IP address" });
const cidr = z.string().refine((s) => cidrRange(s) !== null, {
  message: "not an IP address or CIDR range (e.g. 192.168.1.0/24)",
}).refine((s) => cidrRange(s)?.first !== 0n, {
  // coturn 4.6 reads an all-zero bound as "unbounded": such a range matches
  // addresses of both families (a deny would block every peer).
  message: "a range may not start at 0.0.0.0 or :: (coturn would match every address)",
});
const port = z.number().int().min(1).max(65535);
const path = z.string().min(1).max(4096).refine((s) => !/[\r\n]/.test(s), {
  message: "no line breaks in a path",
});

/** Validated deployment values. */
export const CoturnSettingsSchema = z.object({
  /** The TURN realm (a DNS name, usually the server's). */
  realm: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i, "a realm is a DNS name"),
  /** Addresses to listen on (never all: name them). */
  listeningIps: z.array(ip).min(1, "name at least one listening address"),
  /** Addresses relays are opened on (default: the listening ones). */
  relayIps: z.array(ip).default([]),
  /** Public address, or "public/private" when coturn is behind 1:1 NAT. */
  externalIp: z.string().regex(/^[0-9a-fA-F:.]+(\/[0-9a-fA-F:.]+)?$/).refine(
    (s) => s.split("/").every((p) => parseIpAddress(p) !== null),
    { message: 'external IP is "public" or "public/private" addresses' },
  ).optional(),
  listeningPort: port.default(3478),
  /** TLS for `turns:` (TLS 1.2+); without it coturn opens no TLS listener. */
  tls: z.object({ port: port.default(5349), certFile: path, keyFile: path }).optional(),
  /** Relay port range (open these UDP ports in the firewall). */
  minPort: port.default(49152),
  maxPort: port.default(65535),
  /** This server's own addresses and networks: never relayed to. */
  ownAddresses: z.array(cidr).default([]),
  /** Private ranges the operator lets relays reach (e.g. a camera LAN); wins over denies. */
  allowedPeers: z.array(cidr).default([]),
  /**
   * Let relays reach this server's own relay addresses (relay, or listening, and external
   * addresses; nothing else of its own): relay-to-relay, which a viewer whose network blocks
   * UDP (TURN over TCP/TLS) needs. Any other UDP service on those addresses becomes reachable
   * to credential holders: run none there. Off by default.
   */
  relayToSelf: z.boolean().default(false),
  /** The shared secret (from the 0600 secret file). */
  secret: z.string().regex(
    TURN_SECRET_PATTERN,
    "the TURN secret is 32–256 characters of A-Z a-z 0-9 + / = _ -",
  ),
  /** Directory for coturn's pid file and its (unused, but always opened) user database. */
  stateDir: path,
  /** Log file path, or "stdout". */
  logFile: path.default("stdout"),
  /** Drop root to this user after binding (when started as root). */
  procUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/).optional(),
}).strict().superRefine((s, ctx) => {
  if (s.minPort > s.maxPort) {
    ctx.addIssue({ code: "custom", path: ["minPort"], message: "minPort is above maxPort" });
  }
  // An allowed range would re-open what the deny protects: refuse the overlap.
  const own = [...ownOf(s), "127.0.0.0/8", "::1"];
  for (const allowed of s.allowedPeers) {
    const a = cidrRange(allowed)!;
    for (const o of own) {
      const b = cidrRange(o)!;
      if (a.family === b.family && a.first <= b.last && b.first <= a.last) {
        ctx.addIssue({
          code: "custom",
          path: ["allowedPeers"],
          message:
            `allowed peer range ${allowed} includes the server's own ${o}: allow narrower ranges`,
        });
      }
    }
  }
});

/** The server's own addresses: listening, relay, external, and the ones the operator named. */
function ownOf(s: {
  listeningIps: string[];
  relayIps: string[];
  externalIp?: string;
  ownAddresses: string[];
}): string[] {
  const external = s.externalIp ? s.externalIp.split("/") : [];
  return [...new Set([...s.listeningIps, ...s.relayIps, ...external, ...s.ownAddresses])];
}

/** The addresses peers see relays on: relay (else listening) addresses and the public external one. */
function relayAddresses(s: { listeningIps: string[]; relayIps: string[]; externalIp?: string }) {
  const relay = s.relayIps.length ? s.relayIps : s.listeningIps;
  const external = s.externalIp ? [s.externalIp.split("/")[0]] : [];
  return [...new Set([...relay, ...external])];
}

/** Input of {@linkcode renderCoturnConfig}. */
export type CoturnSettings = z.input<typeof CoturnSettingsSchema>;

/** Validation failure with every problem in one message. */
export class CoturnConfigError extends Error {
  override name = "CoturnConfigError";
}

/**
 * The full configuration: `template` (the project's fixed part) followed by
 * the deployment lines. Throws {@linkcode CoturnConfigError} on bad settings.
 */
export function renderCoturnConfig(template: string, settings: CoturnSettings): string {
  const r = CoturnSettingsSchema.safeParse(settings);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`);
    throw new CoturnConfigError(`invalid coturn settings: ${why.join("; ")}`);
  }
  const s = r.data;
  const lines = [
    `realm=${s.realm}`,
    ...s.listeningIps.map((a) => `listening-ip=${a}`),
    ...s.relayIps.map((a) => `relay-ip=${a}`),
    ...(s.externalIp ? [`external-ip=${s.externalIp}`] : []),
    `listening-port=${s.listeningPort}`,
    ...(s.tls
      ? [`tls-listening-port=${s.tls.port}`, `cert=${s.tls.certFile}`, `pkey=${s.tls.keyFile}`]
      : ["no-tls"]),
    `min-port=${s.minPort}`,
    `max-port=${s.maxPort}`,
    // Its own addresses are denied even when the operator did not list them.
    ...ownOf(s).map((a) => `denied-peer-ip=${rangeText(a)}`),
    ...s.allowedPeers.map((a) => `allowed-peer-ip=${rangeText(a)}`),
    ...(s.relayToSelf ? relayAddresses(s).map((a) => `allowed-peer-ip=${rangeText(a)}`) : []),
    `userdb=${s.stateDir}/turndb`,
    `pidfile=${s.stateDir}/turnserver.pid`,
    `log-file=${s.logFile}`,
    "simple-log",
    ...(s.procUser ? [`proc-user=${s.procUser}`] : []),
    `static-auth-secret=${s.secret}`,
  ];
  const body = template.endsWith("\n") ? template : `${template}\n`;
  return `${body}${lines.join("\n")}\n`;
}

/** Writes the generated configuration (it holds the secret) with mode 0600. */
export function writeCoturnConfig(path: string, text: string): Promise<void> {
  return writeSecretFile(path, text);
}

interface Range {
  family: 4 | 6;
  first: bigint;
  last: bigint;
}

/** First and last address of an IP or CIDR, or null. */
export function cidrRange(text: string): Range | null {
  const [addr, bitsText, extra] = text.split("/");
  if (extra !== undefined) return null;
  const bytes = parseIpAddress(addr);
  if (!bytes) return null;
  const width = bytes.length * 8;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return null;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (bits > width) return null;
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  return { family: bytes.length === 4 ? 4 : 6, first: value & ~hostMask, last: value | hostMask };
}

/** coturn's `ip` or `ip-ip` form of an IP or CIDR. */
export function rangeText(text: string): string {
  const r = cidrRange(text);
  if (!r) throw new CoturnConfigError(`not an IP address or CIDR: ${text}`);
  const f = (v: bigint) => formatAddress(r.family, v);
  return r.first === r.last ? f(r.first) : `${f(r.first)}-${f(r.last)}`;
}

function formatAddress(family: 4 | 6, v: bigint): string {
  const n = family === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((v >> BigInt(i * 8)) & 0xffn));
  if (family === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}
