/**
 * The exact `deno run` flags of the publisher process for its options and
 * its enrollment. Pure. What werift 0.25.2 on Deno 2.9.6 needs, as checked on
 * this project's machines (tests/integration/publisher_privilege_test.ts runs
 * the real publisher under these flags):
 *
 * - net: the device listener `host:port`; the local address werift binds its
 *   UDP sockets to, as `addr:0` (an ephemeral port) or `addr:port` for each
 *   port of `--ice-port-range`, never the wildcard 0.0.0.0 (Linux delivers
 *   0.0.0.0 to local services: a grant of it reaches every loopback
 *   listener); the viewers' ranges (CIDR is
 *   accepted by `--allow-net`), because UDP `send` to a viewer is checked
 *   against the destination address; the `host:port` of each STUN/TURN
 *   server the server announced (stored in the state dir).
 * - read: the state dir, the config file, the file source's clip, the record dir.
 * - write: the state dir (renewal replaces key and certificate) and the record dir.
 * - run: the camera binary, and ffmpeg when recording or sending snapshots.
 * - sys: networkInterfaces (without it werift gathers no candidates, silently).
 * - env: none; `--ignore-env` answers werift's dependencies' env reads with undefined.
 * - no prompt: a missing permission fails instead of asking.
 *
 * After the permissions come the runtime flags (runtime_flags.ts).
 *
 * @module
 */
import { resolve } from "node:path";
import type { DeviceConfig } from "../device/state.ts";
import { serverHost } from "../device/state.ts";
import { SAMPLE_CLIP_PATH } from "../sources/config.ts";
import type { PublishOptions } from "./options.ts";
import { publisherRuntimeFlags } from "./runtime_flags.ts";
import { iceServerNet } from "../device/ice_servers_state.ts";

/** Inputs of {@linkcode publisherFlags}. */
export interface PublisherFlagsInput {
  /** The parsed `publish` options. */
  options: PublishOptions;
  /** The enrollment (`device.json`): where the device listener is. */
  device: DeviceConfig;
  /** Binary the camera source spawns, or null (file source): `sourceBinary(options.source)`. */
  sourceBinary: string | null;
  /** Binary the recorder spawns (default "ffmpeg"). */
  recordBinary?: string;
  /**
   * The STUN/TURN URLs the server announced, as stored in the state dir
   * (device/ice_servers_state.ts): exactly their `host:port`s are granted.
   */
  iceServerUrls?: readonly string[];
}

/** Most ports `--ice-port-range` may span: each is granted on its own. */
export const MAX_ICE_PORTS = 1024;

/** The bind grants: `addr:0`, or `addr:port` for each port of the range. */
function bindGrants(address: string, range: [number, number] | undefined): string[] {
  if (!range) return [`${address}:0`];
  const [first, last] = range;
  if (last - first + 1 > MAX_ICE_PORTS) {
    throw new Error(`--ice-port-range spans more than ${MAX_ICE_PORTS} ports`);
  }
  return Array.from({ length: last - first + 1 }, (_, k) => `${address}:${first + k}`);
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function requireInterface(address: string | undefined): string {
  if (!address) {
    throw new Error(
      "no local IPv4 address to bind ICE to: pass --interface ADDR (the launcher picks one when it may list the interfaces)",
    );
  }
  return address;
}

/**
 * The `deno run` flags for `publisher/main.ts`: permissions, then runtime
 * flags. `options.interfaceAddress` must be set (the launcher fills it in
 * with `chooseInterfaceAddress` when the operator gave none).
 *
 * @example
 * ```ts
 * publisherFlags({ options: parsePublishArgs(["--source", "rpicam"], null),
 *   device: { serverUrl: "https://cams.lan:8443", devicePort: 8444, … }, sourceBinary: "rpicam-vid" });
 * // ["--allow-net=cams.lan:8444,192.168.1.5:0,10.0.0.0/8,…", "--allow-read=/…/device-state", …]
 * ```
 */
export function publisherFlags(i: PublisherFlagsInput): string[] {
  const o = i.options;
  const recordDir = o.record?.dir ?? null;
  const clip = o.source.kind === "file" ? [resolve(o.source.path ?? SAMPLE_CLIP_PATH)] : [];
  const net = [
    hostPort(serverHost(i.device), i.device.devicePort),
    ...bindGrants(requireInterface(o.interfaceAddress), o.icePortRange),
    ...o.viewerNets,
    // TURN/STUN servers: their host:port only. Remote viewers are reached through the
    // publisher's own relay there (coturn forwards), never by a grant of their addresses.
    ...iceServerNet(i.iceServerUrls ?? []),
  ];
  const read = [
    o.stateDir,
    ...(o.configFile ? [o.configFile] : []),
    ...clip,
    ...(recordDir ? [recordDir] : []),
  ];
  const write = [o.stateDir, ...(recordDir ? [recordDir] : [])];
  const ffmpeg = recordDir !== null || o.snapshotSeconds > 0;
  const run = [
    ...(i.sourceBinary ? [i.sourceBinary] : []),
    ...(ffmpeg ? [i.recordBinary ?? "ffmpeg"] : []),
  ];
  const uniq = (xs: string[]) => [...new Set(xs)].join(",");
  return [
    `--allow-net=${uniq(net)}`,
    `--allow-read=${uniq(read)}`,
    `--allow-write=${uniq(write)}`,
    ...(run.length ? [`--allow-run=${uniq(run)}`] : []),
    "--allow-sys=networkInterfaces",
    "--ignore-env",
    "--no-prompt",
    ...publisherRuntimeFlags(),
  ];
}
