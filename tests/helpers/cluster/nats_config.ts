/**
 * nats-server configuration text (nats-server 2.9 config format), generated
 * from checked values so that nothing can inject a directive.
 *
 * @example
 * ```ts
 * natsConfig({ port: -1, portsFileDir: dir, auth: { user: "vigil", password } });
 * ```
 * @module
 */

/** What {@link natsConfig} writes. */
export interface NatsConfigOptions {
  /** Listen port; -1 lets the server choose (see `portsFileDir`). */
  port: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Where the server writes `nats-server_<pid>.ports` (its chosen ports, as JSON). */
  portsFileDir?: string;
  /** Username/password, or an nkey (the user's public key, `U…`), required from every client. */
  auth?: { user: string; password: string } | { nkey: string };
  /** TLS required from every client (STARTTLS-style after INFO in 2.9). */
  tls?: { certFile: string; keyFile: string };
}

const SAFE_VALUE = /^[A-Za-z0-9_.\/:@+=-]+$/;

function quoted(what: string, v: string): string {
  if (!SAFE_VALUE.test(v)) throw new RangeError(`${what}: unsupported characters in "${v}"`);
  return JSON.stringify(v);
}

/** The config file text; throws RangeError for a value it will not quote. */
export function natsConfig(o: NatsConfigOptions): string {
  if (!Number.isInteger(o.port) || o.port < -1 || o.port > 65535) {
    throw new RangeError(`port: ${o.port}`);
  }
  const lines = [
    `host: ${quoted("host", o.host ?? "127.0.0.1")}`,
    `port: ${o.port}`,
    // Small and explicit: vigil's messages are SDP-sized.
    "max_payload: 1048576",
  ];
  if (o.portsFileDir) lines.push(`ports_file_dir: ${quoted("portsFileDir", o.portsFileDir)}`);
  if (o.auth && "nkey" in o.auth) {
    if (!/^U[A-Z2-7]{55}$/.test(o.auth.nkey)) throw new RangeError("nkey: not a user public key");
    lines.push("authorization {", `  users: [ { nkey: ${quoted("nkey", o.auth.nkey)} } ]`, "}");
  } else if (o.auth) {
    lines.push(
      "authorization {",
      `  user: ${quoted("user", o.auth.user)}`,
      `  password: ${quoted("password", o.auth.password)}`,
      "}",
    );
  }
  if (o.tls) {
    lines.push(
      "tls {",
      `  cert_file: ${quoted("certFile", o.tls.certFile)}`,
      `  key_file: ${quoted("keyFile", o.tls.keyFile)}`,
      "  timeout: 2",
      "}",
    );
  }
  return lines.join("\n") + "\n";
}

/** The client port from a ports file's JSON (`{"nats":["nats://127.0.0.1:4222"]}`). */
export function clientPortFromPortsFile(json: string): number {
  const parsed = JSON.parse(json) as { nats?: unknown };
  const first = Array.isArray(parsed.nats) ? parsed.nats[0] : undefined;
  const m = typeof first === "string" ? /:(\d+)$/.exec(first) : null;
  if (!m) throw new Error(`no client port in ports file: ${json.slice(0, 200)}`);
  return Number(m[1]);
}
