/**
 * Janus's configuration for the benchmark baseline, generated (never the
 * system's /etc/janus): the core with ICE on one IPv4 address only, the HTTP
 * transport on loopback only, and the streaming plugin with one RTP H.264
 * mountpoint that keeps the latest keyframe for new viewers. Pure: the files'
 * text, in Janus's libconfig ("jcfg") syntax.
 *
 * @example
 * ```ts
 * const files = janusConfigFiles({
 *   configsDir: "/tmp/janus-x/conf",
 *   pluginsDir: "/tmp/janus-x/plugins",
 *   transportsDir: "/tmp/janus-x/transports",
 *   emptyDir: "/tmp/janus-x/none",
 *   httpPort: 8088,
 *   iceAddress: "192.0.2.2",
 *   rtpPort: 5004,
 * });
 * files["janus.plugin.streaming.jcfg"]; // "general: { … }\nbench: { type = \"rtp\" … }"
 * ```
 * @module
 */

/** A libconfig value: string, boolean, integer, or a group. */
export type JcfgValue = string | boolean | number | { [key: string]: JcfgValue };

/** Options of {@linkcode janusConfigFiles}. */
export interface JanusConfigOptions {
  /** Directory the files are written to (Janus's `configs_folder`). */
  configsDir: string;
  /** Directory holding only the plugins to load (the streaming plugin). */
  pluginsDir: string;
  /** Directory holding only the transports to load (the HTTP transport). */
  transportsDir: string;
  /** An empty directory, for event handlers and loggers (none loaded). */
  emptyDir: string;
  /** TCP port of the HTTP API (bound to 127.0.0.1 only). */
  httpPort: number;
  /**
   * The one IPv4 address ICE gathers on (`ice_enforce_list`): Janus gathers no
   * loopback candidates, so this is the host's own address.
   */
  iceAddress: string;
  /** UDP port of the mountpoint's RTP input (bound to 127.0.0.1 only). */
  rtpPort: number;
  /** RTP payload type of the input (default 96). */
  payloadType?: number;
  /** Mountpoint id (default 1). */
  mountpointId?: number;
  /** Keep the latest keyframe and send it to new viewers at once (default true). */
  keyframeBuffer?: boolean;
  /** Janus's log level 0–7 (default 3: warnings and errors). */
  debugLevel?: number;
}

/** The mountpoint's H.264 format: Constrained Baseline 3.1, as the clip is encoded and vigil offers it. */
export const BENCH_H264_FMTP = "profile-level-id=42e01f;packetization-mode=1";

const KEY = /^[a-z][a-z0-9_-]*$/i;

function port(name: string, p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) {
    throw new RangeError(`${name} must be a port 1-65535, got ${p}`);
  }
  return p;
}

function ipv4(name: string, a: string): string {
  const parts = a.split(".");
  const ok = parts.length === 4 &&
    parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
  if (!ok) throw new RangeError(`${name} must be an IPv4 address, got ${JSON.stringify(a)}`);
  return a;
}

/** One value in libconfig syntax (strings quoted with C escapes). */
export function jcfgValue(v: JcfgValue, indent = ""): string {
  if (typeof v === "string") {
    // deno-lint-ignore no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(v)) {
      throw new RangeError(`control character in config string ${JSON.stringify(v)}`);
    }
    return `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  }
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new RangeError(`config numbers are integers, got ${v}`);
    return String(v);
  }
  return jcfgGroup(v, indent);
}

/** A group `{ key = value … }` in libconfig syntax. */
export function jcfgGroup(g: { [key: string]: JcfgValue }, indent = ""): string {
  const inner = indent + "\t";
  const lines = Object.entries(g).map(([k, v]) => {
    if (!KEY.test(k)) throw new RangeError(`invalid config key ${JSON.stringify(k)}`);
    return typeof v === "object"
      ? `${inner}${k}: ${jcfgValue(v, inner)}`
      : `${inner}${k} = ${jcfgValue(v)}`;
  });
  return lines.length ? `{\n${lines.join("\n")}\n${indent}}` : "{\n}";
}

/** A whole file: top-level groups, one after the other. */
export function jcfgFile(groups: { [name: string]: { [key: string]: JcfgValue } }): string {
  return Object.entries(groups).map(([k, g]) => {
    if (!KEY.test(k)) throw new RangeError(`invalid config group ${JSON.stringify(k)}`);
    return `${k}: ${jcfgGroup(g)}\n`;
  }).join("");
}

/** The three files Janus reads (file name → text), for `janus -F configsDir`. */
export function janusConfigFiles(o: JanusConfigOptions): Record<string, string> {
  const debugLevel = o.debugLevel ?? 3;
  if (!Number.isInteger(debugLevel) || debugLevel < 0 || debugLevel > 7) {
    throw new RangeError(`debugLevel must be 0-7, got ${debugLevel}`);
  }
  const payloadType = o.payloadType ?? 96;
  if (!Number.isInteger(payloadType) || payloadType < 96 || payloadType > 127) {
    throw new RangeError(`payloadType must be a dynamic type 96-127, got ${payloadType}`);
  }
  const mountpointId = o.mountpointId ?? 1;
  if (!Number.isSafeInteger(mountpointId) || mountpointId < 1) {
    throw new RangeError(`mountpointId must be a positive integer, got ${mountpointId}`);
  }
  return {
    "janus.jcfg": jcfgFile({
      general: {
        configs_folder: o.configsDir,
        plugins_folder: o.pluginsDir,
        transports_folder: o.transportsDir,
        events_folder: o.emptyDir,
        loggers_folder: o.emptyDir,
        debug_level: debugLevel,
        server_name: "vigil-bench-janus",
        // Sessions without a long poll or keepalive for this long are dropped.
        session_timeout: 60,
      },
      certificates: {
        // A fresh self-signed ECDSA certificate per start, like vigil's publisher.
        rsa_private_key: false,
      },
      media: { ipv6: false, ipv6_linklocal: false },
      nat: {
        ice_enforce_list: ipv4("iceAddress", o.iceAddress),
        ice_lite: false,
        ice_tcp: false,
        full_trickle: false,
        ignore_mdns: true,
        nice_debug: false,
      },
      plugins: {},
      transports: {},
      events: { broadcast: false },
      loggers: {},
    }),
    "janus.transport.http.jcfg": jcfgFile({
      general: {
        json: "plain",
        base_path: "/janus",
        http: true,
        port: port("httpPort", o.httpPort),
        ip: "127.0.0.1",
        https: false,
        events: false,
      },
      admin: { admin_http: false, admin_https: false },
      cors: {},
    }),
    "janus.plugin.streaming.jcfg": jcfgFile({
      general: { events: false, string_ids: false },
      bench: {
        type: "rtp",
        id: mountpointId,
        description: "vigil bench: the publisher's clip over RTP from ffmpeg",
        audio: false,
        video: true,
        videoport: port("rtpPort", o.rtpPort),
        videoiface: "127.0.0.1",
        videopt: payloadType,
        videocodec: "h264",
        videofmtp: BENCH_H264_FMTP,
        videobufferkf: o.keyframeBuffer ?? true,
      },
    }),
  };
}
