/**
 * The exact `deno run` permissions of the publisher (see DESIGN.md, verified
 * with werift 0.25.2 on Deno 2.9.6). Pure.
 *
 * - net: the device listener `host:port`; the local address werift binds its
 *   UDP sockets to (any port: ICE picks one); the viewers' ranges (CIDR is
 *   accepted by `--allow-net`), because UDP `send` to a viewer is checked
 *   against the destination address.
 * - read: the state dir (+ config file, file source, record dir).
 * - write: the state dir (renewal replaces key and certificate) and the record dir.
 * - run: the camera binary, and ffmpeg when recording.
 * - sys: networkInterfaces (without it werift gathers no candidates, silently).
 * - env: none; `--ignore-env` answers werift's dependencies' env reads with undefined.
 *
 * @module
 */

/** Inputs of {@linkcode publisherFlags}. */
export interface PublisherFlagsInput {
  /** Host of the signaling server (name or IP). */
  serverHost: string;
  /** Its device (mTLS) port. */
  devicePort: number;
  /** Device state dir. */
  stateDir: string;
  /** Recording dir, or null. */
  recordDir: string | null;
  /** Binary the camera source spawns, or null (file source). */
  sourceBinary: string | null;
  /** Binary the recorder spawns (default "ffmpeg"). */
  recordBinary?: string;
  /** Viewer addresses: IPs or CIDRs (and TURN servers, if any). */
  viewerCidrs: string[];
  /** Local address ICE binds to (default 0.0.0.0: all interfaces). */
  bindAddress?: string;
  /** Other files to read (config file, file source clip). */
  readPaths?: string[];
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The `deno run` flags for `publisher/main.ts`.
 *
 * @example
 * ```ts
 * publisherFlags({ serverHost: "cams.lan", devicePort: 8444, stateDir: "/var/lib/vigil",
 *   recordDir: null, sourceBinary: "rpicam-vid", viewerCidrs: ["192.168.1.0/24"] });
 * // ["--allow-net=cams.lan:8444,0.0.0.0,192.168.1.0/24", "--allow-read=/var/lib/vigil", …]
 * ```
 */
export function publisherFlags(i: PublisherFlagsInput): string[] {
  const net = [hostPort(i.serverHost, i.devicePort), i.bindAddress ?? "0.0.0.0", ...i.viewerCidrs];
  const read = [i.stateDir, ...(i.readPaths ?? []), ...(i.recordDir ? [i.recordDir] : [])];
  const write = [i.stateDir, ...(i.recordDir ? [i.recordDir] : [])];
  const run = [
    ...(i.sourceBinary ? [i.sourceBinary] : []),
    ...(i.recordDir ? [i.recordBinary ?? "ffmpeg"] : []),
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
  ];
}
