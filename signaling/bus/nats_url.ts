/**
 * The `--bus` setting: one or more NATS servers, comma-separated,
 * `nats://[USER@]HOST:PORT` or `tls://[USER@]HOST:PORT` (TLS required).
 * Parsed and checked without I/O. A password in the URL is refused (it
 * would show in `ps` and logs): `--bus-password-file` or `VIGIL_BUS_PASSWORD`.
 * @module
 */

/** The parsed bus target. */
export interface NatsTarget {
  /** `nats://host:port` / `tls://host:port` without user names, for the client. */
  servers: string[];
  endpoints: { host: string; port: number }[];
  /** The NATS user (the same on every server), if any. */
  user: string | undefined;
  tls: boolean;
}

const FORM = "the bus URL is nats://[USER@]HOST:PORT or tls://[USER@]HOST:PORT (comma-separated)";

/** Parses `--bus`; throws a message that says what is wrong (never echoing a password). */
export function parseNatsUrl(text: string): NatsTarget {
  const parts = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0 || parts.length > 16) throw new TypeError(FORM);
  const users = new Set<string>();
  const schemes = new Set<string>();
  const endpoints: NatsTarget["endpoints"] = [];
  const servers: string[] = [];
  for (const p of parts) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw new TypeError(FORM);
    }
    if (u.protocol !== "nats:" && u.protocol !== "tls:") throw new TypeError(FORM);
    if (u.password) {
      throw new TypeError(
        "the bus URL must not hold a password: use --bus-password-file or VIGIL_BUS_PASSWORD",
      );
    }
    if (!u.hostname || (u.pathname && u.pathname !== "/") || u.search || u.hash) {
      throw new TypeError(FORM);
    }
    users.add(decodeURIComponent(u.username));
    schemes.add(u.protocol);
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = u.port ? Number(u.port) : 4222;
    endpoints.push({ host, port });
    servers.push(`${u.protocol}//${u.hostname}:${port}`);
  }
  if (users.size > 1) throw new TypeError("every bus URL names the same user");
  if (schemes.size > 1) throw new TypeError("bus URLs are all nats:// or all tls://");
  const [user] = users;
  return { servers, endpoints, user: user || undefined, tls: schemes.has("tls:") };
}
