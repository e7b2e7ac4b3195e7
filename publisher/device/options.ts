/**
 * Options of `deno task publish` / `publisher/main.ts`: the command line and
 * the optional JSON config file, merged (command line wins). Shared by the
 * launcher (which derives the permission flags) and the publisher itself.
 *
 * @module
 */

import { resolve } from "node:path";
import { z } from "zod";
import { parseCli, UsageError } from "../../scripts/cli.ts";
import { DEFAULT_STATE_DIR } from "./state.ts";

/** Usage text of `deno task publish`. */
export const PUBLISH_USAGE = `
deno task publish [options]

Streams this camera to the vigil server's viewers. Connects out with mTLS; opens
no listening TCP port. Runs with only the permissions its configuration needs.

Options:
  --config FILE        JSON config: {source, maxViewers, camera, record, network, sendPath}
  --state-dir DIR      enrollment state (default ${DEFAULT_STATE_DIR})
  --source KIND        file | synthetic | v4l2 | rpicam (default rpicam, or the config's)
  --max-viewers N      concurrent viewers (default 4)
  --record DIR         also record fMP4 segments into DIR (needs ffmpeg)
  --interface ADDR     bind WebRTC (ICE) sockets to this local IPv4 address
  --viewer-net CIDR    address range viewers (or TURN servers) connect from; repeatable
                       (default the private ranges 10/8, 172.16/12, 192.168/16)
  --send-path PATH     direct (default: SRTP written to the ICE socket by vigil) or
                       werift (every packet through werift's RTP sender)
  --print-flags        print the deno run flags (permissions, V8 settings) and exit
  --help               this text
`;

/** Default viewer ranges: the private LAN ranges. */
// Not 127.0.0.0/8: Deno's net permission cannot tell UDP from TCP, and a
// loopback grant would let a compromised publisher reach every local service.
// Single-host setups (the demo, tests) pass their networks with --viewer-net.
export const DEFAULT_VIEWER_NETS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** The JSON config file. */
export const PublishConfigSchema = z.object({
  source: z.record(z.string(), z.unknown()).optional(),
  maxViewers: z.number().int().min(1).max(64).optional(),
  sendPath: z.enum(["direct", "werift"]).optional(),
  camera: z.object({ label: z.string().max(100).optional() }).strict().optional(),
  record: z.object({
    dir: z.string().min(1),
    segmentSeconds: z.number().int().min(2).max(3600).optional(),
    maxAgeDays: z.number().positive().optional(),
    maxTotalMB: z.number().positive().optional(),
  }).strict().optional(),
  network: z.object({
    interfaceAddress: z.string().optional(),
    viewerNets: z.array(z.string()).optional(),
    icePortRange: z.tuple([z.number().int(), z.number().int()]).optional(),
  }).strict().optional(),
}).strict();

/** Parsed config file. */
export type PublishConfig = z.infer<typeof PublishConfigSchema>;

/** Everything the publisher needs, merged and resolved. */
export interface PublishOptions {
  configFile: string | null;
  stateDir: string;
  source: Record<string, unknown>;
  maxViewers: number;
  label: string | undefined;
  record: PublishConfig["record"] | null;
  interfaceAddress: string | undefined;
  viewerNets: string[];
  icePortRange: [number, number] | undefined;
  /** How RTP leaves the process (publisher/peer/viewer_peer.ts `sendPath`). */
  sendPath: "direct" | "werift";
}

const CLI_OPTIONS = {
  config: { type: "string" },
  "state-dir": { type: "string" },
  source: { type: "string" },
  "max-viewers": { type: "string" },
  record: { type: "string" },
  interface: { type: "string" },
  "viewer-net": { type: "string", multiple: true },
  "send-path": { type: "string" },
  "print-flags": { type: "boolean" },
} as const;

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const NET = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;

/** Merges the command line with the config file text (null: no file). Pure. */
export function mergeOptions(argv: string[], configText: string | null): PublishOptions {
  const { values: v } = parseCli(argv, {
    name: "publish",
    usage: PUBLISH_USAGE,
    options: CLI_OPTIONS,
  });
  let file: PublishConfig = {};
  if (configText !== null) {
    let json: unknown;
    try {
      json = JSON.parse(configText);
    } catch {
      throw new UsageError(`${v.config}: not valid JSON`);
    }
    const r = PublishConfigSchema.safeParse(json);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new UsageError(`${v.config}: ${i.path.join(".") || "config"}: ${i.message}`);
    }
    file = r.data;
  }
  const source: Record<string, unknown> = { kind: "rpicam", ...(file.source ?? {}) };
  if (v.source) {
    if (!["file", "synthetic", "v4l2", "rpicam"].includes(v.source)) {
      throw new UsageError(`--source must be file, synthetic, v4l2 or rpicam, got "${v.source}"`);
    }
    source.kind = v.source;
  }
  let maxViewers = file.maxViewers ?? 4;
  if (v["max-viewers"] !== undefined) {
    maxViewers = Number(v["max-viewers"]);
    if (!Number.isInteger(maxViewers) || maxViewers < 1 || maxViewers > 64) {
      throw new UsageError(`--max-viewers must be 1–64, got "${v["max-viewers"]}"`);
    }
  }
  const record = v.record ? { ...(file.record ?? {}), dir: v.record } : file.record ?? null;
  const interfaceAddress = v.interface ?? file.network?.interfaceAddress;
  if (interfaceAddress !== undefined && !IPV4.test(interfaceAddress)) {
    throw new UsageError(`--interface must be an IPv4 address, got "${interfaceAddress}"`);
  }
  const viewerNets = v["viewer-net"] ?? file.network?.viewerNets ?? DEFAULT_VIEWER_NETS;
  for (const n of viewerNets) {
    if (!NET.test(n)) throw new UsageError(`--viewer-net must be an IP or CIDR, got "${n}"`);
  }
  const sendPath = v["send-path"] ?? file.sendPath ?? "direct";
  if (sendPath !== "direct" && sendPath !== "werift") {
    throw new UsageError(`--send-path must be direct or werift, got "${sendPath}"`);
  }
  return {
    configFile: v.config ? resolve(v.config) : null,
    stateDir: resolve(v["state-dir"] ?? DEFAULT_STATE_DIR),
    source,
    maxViewers,
    label: file.camera?.label,
    record: record ? { ...record, dir: resolve(record.dir) } : null,
    interfaceAddress,
    viewerNets,
    icePortRange: file.network?.icePortRange,
    sendPath,
  };
}

/** Reads `--config FILE` from argv (before full parsing), or null. */
export function configPathOf(argv: string[]): string | null {
  const i = argv.indexOf("--config");
  if (i >= 0 && argv[i + 1]) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith("--config="));
  return eq ? eq.slice("--config=".length) : null;
}
