/**
 * The exact `deno run` flags of the server process for its options: listen
 * on its two ports, read and write only its data dir, read the viewer, the
 * TLS files and the config file, read the host name (for the certificate's
 * names). Pure.
 *
 * `--ignore-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE`: the `ws` package
 * (under @hono/node-ws) reads these two at load; answered as unset.
 * @module
 */
import type { ServeOptions } from "./options.ts";

/**
 * The server's flags.
 *
 * @example
 * ```ts
 * serverFlags(parseServeArgs(["--data-dir", "/srv/vigil"], null));
 * // ["--allow-net=0.0.0.0:8443,0.0.0.0:8444", "--allow-read=/srv/vigil,…", "--allow-write=/srv/vigil", …]
 * ```
 */
export function serverFlags({ settings: s, configFile }: ServeOptions): string[] {
  const net = [s.port, s.devicePort].map((p) => p === 0 ? s.host : `${s.host}:${p}`);
  const read = [s.dataDir, s.webDir, s.tlsCertFile, s.tlsKeyFile, configFile]
    .filter((x): x is string => !!x);
  return [
    `--allow-net=${[...new Set(net)].join(",")}`,
    `--allow-read=${[...new Set(read)].join(",")}`,
    `--allow-write=${s.dataDir}`,
    "--allow-sys=hostname",
    "--ignore-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE",
  ];
}
