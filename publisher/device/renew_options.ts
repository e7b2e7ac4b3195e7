/**
 * The `renew` command line, parsed the same way by its launcher
 * (`scripts/device_launch.ts`, to compute the flags) and by the program
 * (`renew_main.ts`).
 *
 * @example
 * ```ts
 * const o = parseRenewArgs(["--state-dir=/var/lib/vigil"]);
 * renewFlags(o, (await loadState(o.stateDir)).config); // ["--allow-net=cams.lan:8444", …]
 * ```
 * @module
 */
import { resolve } from "node:path";
import { parseCli } from "../../lib/cli.ts";
import { type DeviceConfig, serverHost } from "./state.ts";
import { DEFAULT_STATE_DIR } from "./state.ts";

/** `--help` of `deno task renew`. */
export const RENEW_USAGE = `
deno task renew [--state-dir DIR] [--json]

Renews this camera's client certificate over mTLS, with a fresh key
(deno task publish also renews by itself at 2/3 of the lifetime).

Options:
  --state-dir DIR   device state (default ${DEFAULT_STATE_DIR})
  --json            machine-readable output
  --print-flags     print the deno run flags this program gets, and exit
  --help            this text
`;

/** The parsed `renew` command line. */
export interface RenewArgs {
  /** Absolute state dir. */
  stateDir: string;
  json: boolean;
}

/** Parses the `renew` arguments. Pure. */
export function parseRenewArgs(argv: string[]): RenewArgs {
  const { values: v } = parseCli(argv, {
    name: "renew",
    usage: RENEW_USAGE,
    options: {
      "state-dir": { type: "string" },
      json: { type: "boolean" },
      "print-flags": { type: "boolean" },
    },
  });
  return { stateDir: resolve(v["state-dir"] ?? DEFAULT_STATE_DIR), json: v.json ?? false };
}

/**
 * The `deno run` flags of `renew`: the device (mTLS) port of the enrolled
 * server only, files only in the state dir. Pure.
 */
export function renewFlags(o: RenewArgs, device: DeviceConfig): string[] {
  const host = serverHost(device);
  return [
    `--allow-net=${host.includes(":") ? `[${host}]` : host}:${device.devicePort}`,
    `--allow-read=${o.stateDir}`,
    `--allow-write=${o.stateDir}`,
  ];
}
