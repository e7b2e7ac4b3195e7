/**
 * The exact `deno run` flags of the server process for its options: listen
 * on its two ports, read and write only its data dir, read the viewer, the
 * TLS files and the config file, read the host name (for the certificate's
 * names). In a cluster, also: network to the PostgreSQL and NATS servers
 * named by `--store` and `--bus` (and nothing else), read their password,
 * CA, client certificate and key, and key-encryption key files, and read the one environment variable
 * that may hold a password when no file is given (cluster_grants.ts). Pure.
 *
 * `--ignore-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE`: the `ws` package
 * (under @hono/node-ws) reads these two at load; answered as unset.
 * @module
 */
import { parseNatsUrl } from "../bus/nats_url.ts";
import { parsePostgresUrl } from "../store/postgres_url.ts";
import { resolveStoreTls, storeTlsFiles } from "../store/postgres_tls.ts";
import {
  grantFlags,
  type Grants,
  mergeGrants,
  natsGrants,
  postgresGrants,
} from "./cluster_grants.ts";
import type { ServeOptions } from "./options.ts";
import { parseIceServerUrl } from "../../lib/ice_urls.ts";
import { isDnsName } from "../turn/publisher_urls.ts";

const present = (xs: (string | null)[]) => xs.filter((x): x is string => !!x);

/** The cluster clients' grants for these settings (none without --store/--bus). */
export function clusterGrants(s: ServeOptions["settings"]): Grants & { env: string[] } {
  const gs: Grants[] = [];
  const env: string[] = [];
  if (s.store) {
    const t = parsePostgresUrl(s.store);
    const tls = storeTlsFiles(resolveStoreTls(t.sslmode, s));
    gs.push(
      postgresGrants({
        servers: [t],
        files: [...present([s.storePasswordFile, s.kekFile]), ...tls],
      }),
    );
    if (!s.storePasswordFile) env.push("VIGIL_STORE_PASSWORD");
  }
  if (s.bus) {
    const t = parseNatsUrl(s.bus);
    gs.push(
      natsGrants({
        servers: t.endpoints,
        files: present([s.busPasswordFile, s.busNkeyFile, s.busCaFile]),
      }),
    );
    if (t.user && !s.busPasswordFile) env.push("VIGIL_BUS_PASSWORD");
  }
  return { ...mergeGrants({ net: [], read: [], ignoreEnv: [] }, ...gs), env };
}

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
  const cluster = clusterGrants(s);
  const net = [s.port, s.devicePort].map((p) => p === 0 ? s.host : `${s.host}:${p}`);
  // The names of STUN/TURN servers, to resolve them for publishers (turn/publisher_urls.ts).
  net.push(...iceServerNames(s.iceServerUrls));
  const read = present([
    s.dataDir,
    s.webDir,
    s.tlsCertFile,
    s.tlsKeyFile,
    s.turnSecretFile,
    s.metricsTokenFile,
    s.recordingsKeyFile,
    configFile,
  ]);
  const own = grantFlags(mergeGrants(
    { net: [...new Set(net)], read: [...new Set(read)], ignoreEnv: [] },
    cluster,
  ));
  const ignoreEnv = ["WS_NO_BUFFER_UTIL", "WS_NO_UTF_8_VALIDATE", ...cluster.ignoreEnv];
  return [
    ...own.filter((f) => !f.startsWith("--ignore-env=")),
    `--allow-write=${s.dataDir}`,
    "--allow-sys=hostname",
    ...(cluster.env.length ? [`--allow-env=${cluster.env.join(",")}`] : []),
    `--ignore-env=${ignoreEnv.join(",")}`,
  ];
}

/** DNS names among stun:/turn: URLs (a bare-name grant allows their lookup). */
function iceServerNames(urls: readonly string[]): string[] {
  return urls.flatMap((u) => {
    const r = parseIceServerUrl(u);
    return r.ok && r.url.scheme !== "turns" && isDnsName(r.url.host) ? [r.url.host] : [];
  });
}
