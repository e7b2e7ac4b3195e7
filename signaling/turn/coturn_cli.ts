/**
 * `deno task turn:config`: writes the coturn configuration of one
 * deployment (the shipped hardened `containers/coturn/turnserver.conf` plus
 * this deployment's values, coturn_config.ts) into a directory, next to the
 * shared secret, which is created there on first start (0600). The vigil
 * server reads the same secret (`--turn-secret-file`, or its default
 * `<data-dir>/turn/secret` when that directory is this one).
 *
 * @example
 * ```sh
 * deno task turn:config --dir /var/lib/vigil/turn --realm cams.example.com --listen 203.0.113.10
 * turnserver -c /var/lib/vigil/turn/turnserver.conf
 * ```
 * @module
 */
import { parseCli, UsageError } from "../../lib/cli.ts";
import type { CoturnSettings } from "./coturn_config.ts";

/** `--help` of the command. */
export const TURN_CONFIG_USAGE = `
deno task turn:config --dir DIR --realm NAME --listen IP [options]

Writes DIR/turnserver.conf (mode 0600) for coturn: the project's hardened configuration
(containers/coturn/turnserver.conf) and these values. Creates the shared secret DIR/secret
(0600) on first start; give the vigil server the same file (--turn-secret-file DIR/secret).

  --dir DIR            where the secret, the config, coturn's pid file and database live
  --realm NAME         the TURN realm (the server's DNS name)
  --listen IP          an address coturn listens on (repeatable; never all of them)
  --relay-ip IP        an address relays are opened on (repeatable; default: --listen)
  --external-ip IP     the public address when coturn is behind 1:1 NAT ("public/private")
  --port N             TURN port, UDP and TCP (default 3478)
  --tls-port N         turns: port (default 5349) with --tls-cert and --tls-key
  --tls-cert FILE      certificate chain for turns: (PEM)
  --tls-key FILE       its private key
  --min-port N         first relay port (default 49152)
  --max-port N         last relay port (default 65535)
  --own NET            this server's own network, never relayed to (repeatable; the
                       listening, relay and external addresses are denied anyway)
  --allow-peer NET     a private range relays may reach (repeatable; wins over the denies)
  --relay-to-self      relays may reach this server's own relay addresses (relay-to-relay:
                       needed by viewers whose network blocks UDP, TURN over TCP/TLS); run no
                       other UDP service on those addresses
  --user NAME          drop root to this user after binding (when started as root)
`;

/** The settings an argv asks for (secret and directory added by the caller). Throws UsageError. */
export function parseTurnConfigArgs(argv: string[]): {
  dir: string;
  settings: Omit<CoturnSettings, "secret" | "stateDir">;
} {
  const { values: v } = parseCli(argv, {
    name: "turn:config",
    usage: TURN_CONFIG_USAGE,
    options: {
      dir: { type: "string" },
      realm: { type: "string" },
      listen: { type: "string", multiple: true },
      "relay-ip": { type: "string", multiple: true },
      "external-ip": { type: "string" },
      port: { type: "string" },
      "tls-port": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "min-port": { type: "string" },
      "max-port": { type: "string" },
      own: { type: "string", multiple: true },
      "allow-peer": { type: "string", multiple: true },
      "relay-to-self": { type: "boolean" },
      user: { type: "string" },
    },
  });
  const need = (name: string, x: string | undefined): string => {
    if (!x) throw new UsageError(`--${name} is required`);
    return x;
  };
  const num = (name: string, x: string | undefined): number | undefined => {
    if (x === undefined) return undefined;
    if (!/^\d{1,5}$/.test(x)) throw new UsageError(`--${name} must be a port number`);
    return Number(x);
  };
  if ((v["tls-cert"] === undefined) !== (v["tls-key"] === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  return {
    dir: need("dir", v.dir),
    settings: {
      realm: need("realm", v.realm),
      listeningIps: v.listen ?? [],
      relayIps: v["relay-ip"] ?? [],
      ...(v["external-ip"] ? { externalIp: v["external-ip"] } : {}),
      ...(v.port ? { listeningPort: num("port", v.port) } : {}),
      ...(v["tls-cert"]
        ? {
          tls: {
            certFile: v["tls-cert"],
            keyFile: v["tls-key"]!,
            ...(v["tls-port"] ? { port: num("tls-port", v["tls-port"]) } : {}),
          },
        }
        : {}),
      ...(v["min-port"] ? { minPort: num("min-port", v["min-port"]) } : {}),
      ...(v["max-port"] ? { maxPort: num("max-port", v["max-port"]) } : {}),
      ownAddresses: v.own ?? [],
      allowedPeers: v["allow-peer"] ?? [],
      relayToSelf: v["relay-to-self"] === true,
      ...(v.user ? { procUser: v.user } : {}),
    },
  };
}
