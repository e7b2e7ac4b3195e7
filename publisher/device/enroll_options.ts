/**
 * The `enroll` command line, parsed the same way by its launcher
 * (`scripts/device_launch.ts`, to compute the flags) and by the program
 * (`enroll_main.ts`).
 *
 * @example
 * ```ts
 * const o = parseEnrollArgs(["--server=https://cams.lan:8443", "--token-stdin", "--ca-fingerprint", fp]);
 * enrollFlags(o); // ["--allow-net=cams.lan:8443", "--allow-read=<abs>/device-state", "--allow-write=…"]
 * ```
 * @module
 */
import { resolve } from "node:path";
import { parseCli, UsageError } from "../../lib/cli.ts";
import { DEFAULT_STATE_DIR } from "./state.ts";

/** `--help` of `deno task enroll`. */
export const ENROLL_USAGE = `
deno task enroll --server URL --token TOKEN --ca-fingerprint FP [options]

Enrolls this camera with a vigil server. The device key is generated here and
never leaves this machine; the server is trusted only if it presents the CA
with the given SHA-256 fingerprint.

Options:
  --server URL           the server's public URL, e.g. https://cams.example:8443 (required)
  --token TOKEN          one-time enrollment token (from the operator; never printed)
  --token-stdin          read the token from standard input instead (keeps it out of ps)
  --ca-fingerprint FP    SHA-256 fingerprint of the server's CA (AB:CD:… or hex)
  --state-dir DIR        where to store key and certificates (default ${DEFAULT_STATE_DIR})
  --force                enroll again even if already enrolled
  --json                 machine-readable output
  --print-flags          print the deno run flags this program gets, and exit
  --help                 this text
`;

/** The parsed `enroll` command line. */
export interface EnrollArgs {
  /** The server's public origin, `https://host:port`. */
  server: URL;
  token: string | undefined;
  tokenStdin: boolean;
  caFingerprint: string | undefined;
  /** Absolute state dir. */
  stateDir: string;
  force: boolean;
  json: boolean;
}

/** Parses the `enroll` arguments. Pure. */
export function parseEnrollArgs(argv: string[]): EnrollArgs {
  const { values: v } = parseCli(argv, {
    name: "enroll",
    usage: ENROLL_USAGE,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      "token-stdin": { type: "boolean" },
      "ca-fingerprint": { type: "string" },
      "state-dir": { type: "string" },
      force: { type: "boolean" },
      json: { type: "boolean" },
      "print-flags": { type: "boolean" },
    },
  });
  if (v.server === undefined) {
    throw new UsageError("--server is required: the server's URL, e.g. https://cams.example:8443");
  }
  let server: URL;
  try {
    server = new URL(v.server);
  } catch {
    throw new UsageError(
      `--server must be a URL like https://cams.example:8443, got "${v.server}"`,
    );
  }
  if (server.protocol !== "https:") {
    throw new UsageError(`--server must be https://, got "${v.server}"`);
  }
  return {
    server,
    token: v.token,
    tokenStdin: v["token-stdin"] ?? false,
    caFingerprint: v["ca-fingerprint"],
    stateDir: resolve(v["state-dir"] ?? DEFAULT_STATE_DIR),
    force: v.force ?? false,
    json: v.json ?? false,
  };
}

/**
 * The `deno run` flags of `enroll`: the server's public port only, files
 * only in the state dir. Pure.
 */
export function enrollFlags(o: EnrollArgs): string[] {
  return [
    `--allow-net=${o.server.hostname}:${o.server.port || 443}`,
    `--allow-read=${o.stateDir}`,
    `--allow-write=${o.stateDir}`,
  ];
}
