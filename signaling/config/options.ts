/**
 * The server's command-line options, shared by `serve`, the launcher that
 * computes its least-privilege flags, and the operator commands.
 * @module
 */
import { resolve } from "node:path";
import { parseCli, parseDuration, parsePort } from "../../lib/cli.ts";
import { makeConfig, type ServerConfig } from "./settings.ts";

export const SERVE_USAGE = `
deno task serve [options]

Starts the vigil signaling server: HTTPS for viewers and enrollment, mTLS for devices.
On first start it creates the CA, the server certificate and the JWT keys in the data dir.

Options:
  --data-dir DIR        state directory (default ./data)
  --host ADDR           listen address (default 0.0.0.0)
  --port N              public HTTPS port (default 8443)
  --device-port N       device mTLS port (default 8444)
  --san NAME            extra DNS name or IP for the server certificate (repeatable)
  --tls-cert FILE       operator-provided certificate chain for the public port
  --tls-key FILE        its private key
  --web-dir DIR         built viewer (default ./subscriber-web/dist)
  --cert-lifetime DUR   device certificate lifetime (default 24h)
  --answer-timeout DUR  how long to wait for a publisher's answer (default 10s)
  --help                this text
`;

export const SERVE_OPTIONS = {
  "data-dir": { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "device-port": { type: "string" },
  san: { type: "string", multiple: true },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "web-dir": { type: "string" },
  "cert-lifetime": { type: "string" },
  "answer-timeout": { type: "string" },
} as const;

/** Parses `serve` arguments into a config. */
export function parseServeArgs(argv: string[]): ServerConfig {
  const { values: v } = parseCli(argv, {
    name: "serve",
    usage: SERVE_USAGE,
    options: SERVE_OPTIONS,
  });
  const sans = v.san ?? [];
  return makeConfig({
    dataDir: resolve(v["data-dir"] ?? "./data"),
    host: v.host ?? "0.0.0.0",
    port: v.port !== undefined ? parsePort(v.port, "--port") : 8443,
    devicePort: v["device-port"] !== undefined
      ? parsePort(v["device-port"], "--device-port")
      : 8444,
    sanDns: sans.filter((s) => !/^[\d.:]+$/.test(s)),
    sanIp: sans.filter((s) => /^[\d.:]+$/.test(s)),
    tlsCertFile: v["tls-cert"] ? resolve(v["tls-cert"]) : null,
    tlsKeyFile: v["tls-key"] ? resolve(v["tls-key"]) : null,
    webDir: resolve(v["web-dir"] ?? "./subscriber-web/dist"),
    deviceCertLifetimeMs: v["cert-lifetime"] ? parseDuration(v["cert-lifetime"]) : 24 * 3_600_000,
    answerTimeoutMs: v["answer-timeout"] ? parseDuration(v["answer-timeout"]) : 10_000,
  });
}

/**
 * The exact `deno run` permissions the server needs for a config: listen on
 * its two ports, read and write only its data dir, read the viewer and TLS
 * files, and read the host name (for the certificate's names).
 */
export function serverFlags(c: ServerConfig): string[] {
  const net = [c.port, c.devicePort].map((p) => p === 0 ? c.host : `${c.host}:${p}`);
  const read = [c.dataDir, c.webDir, c.tlsCertFile, c.tlsKeyFile].filter((x): x is string => !!x);
  return [
    `--allow-net=${[...new Set(net)].join(",")}`,
    `--allow-read=${read.join(",")}`,
    `--allow-write=${c.dataDir}`,
    "--allow-sys=hostname",
    "--ignore-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE",
  ];
}
