/**
 * The publisher's settings: one zod schema holds every setting with its
 * default and a one-line description; `options.ts` reads them from the
 * command line and an optional `--config FILE` (JSON, unknown keys rejected,
 * flags win). The README's tables are generated from here
 * (`deno task docs:config`). Pure: no I/O.
 *
 * @module
 */
import { z } from "zod";
import { MAX_VIEWERS } from "../../lib/channel_limits.ts";
import { settingFlag as flag, shownDefault } from "../../lib/settings.ts";
import { isUnusableDestination, parseIpv4 } from "../../lib/ipv4.ts";
import { DEFAULT_STATE_DIR } from "../device/state.ts";
import { SourceConfigSchema } from "../sources/config.ts";

/** Default viewer ranges: the private LAN ranges. */
// Not 127.0.0.0/8: Deno's net permission cannot tell UDP from TCP, and a
// loopback grant would let a compromised publisher reach every local service.
// Single-host setups (the demo, tests) pass their networks with --viewer-net.
export const DEFAULT_VIEWER_NETS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const NET = /^[0-9a-fA-F:.]+(\/\d{1,3})?$/;
const udpPort = z.number().int().min(1).max(65535);

/** The camera source (see sources/config.ts), `kind` settable with `--source`. */
export const SourceSettingsSchema = SourceConfigSchema.extend({
  kind: flag(
    SourceConfigSchema.shape.kind.default("rpicam").describe(
      SourceConfigSchema.shape.kind.description ?? "",
    ),
    "source",
    "KIND",
  ),
});

/** Every publisher setting. */
export const PublisherSettingsSchema = z.object({
  stateDir: flag(
    z.string().min(1).default(DEFAULT_STATE_DIR).describe(
      "enrollment state: device key, certificate, pinned CA",
    ),
    "state-dir",
    "DIR",
  ),
  source: SourceSettingsSchema.prefault({}),
  maxViewers: flag(
    z.number().int().min(MAX_VIEWERS.min).max(MAX_VIEWERS.max).default(4).describe(
      "concurrent viewers (told to the server in hello, which refuses more)",
    ),
    "max-viewers",
    "N",
  ),
  snapshotSeconds: shownDefault(
    flag(
      z.number().int().min(0).max(3600).optional().describe(
        "send a JPEG of the latest keyframe for the camera list this often, also without recording (runs ffmpeg; 0: never)",
      ),
      "snapshots",
      "SEC",
    ),
    "record.snapshotSeconds when recording, else off",
  ),
  sendPath: flag(
    z.enum(["direct", "werift"]).default("direct").describe(
      "how RTP leaves: direct (SRTP written to the ICE socket by vigil) or werift (its RTP sender)",
    ),
    "send-path",
    "PATH",
  ),
  camera: z.object({
    label: shownDefault(
      z.string().max(100).optional().describe("the name viewers see"),
      "the device:add label",
    ),
  }).strict().prefault({}),
  record: z.object({
    dir: shownDefault(
      flag(
        z.string().min(1).describe("also record fMP4 segments into this directory (needs ffmpeg)"),
        "record",
        "DIR",
      ),
      "off",
    ),
    segmentSeconds: z.number().int().min(2).max(3600).default(60).describe(
      "segment length, cut on keyframes",
    ),
    maxAgeDays: z.number().positive().default(7).describe("delete segments older than this"),
    maxTotalMB: z.number().positive().default(1024).describe(
      "disk quota: delete the oldest segments beyond this total (uploaded ones first)",
    ),
    upload: z.boolean().default(true).describe(
      "copy each finished segment to the server (mTLS), delete locally only after its ack",
    ),
    snapshotSeconds: z.number().int().min(0).max(3600).default(10).describe(
      "send a JPEG of the latest keyframe for the camera list this often (0: never)",
    ),
    uploadKbps: z.number().int().min(0).max(1_000_000).default(2000).describe(
      "upload bandwidth cap in kbit/s, so a backlog never starves live viewers (0: none)",
    ),
  }).strict().optional(),
  network: z.object({
    interfaceAddress: shownDefault(
      flag(
        z.string().refine(
          (a) => parseIpv4(a) !== null && !isUnusableDestination(parseIpv4(a)!),
          "must be one local IPv4 address a.b.c.d (not 0.0.0.0, no wildcard)",
        ).optional().describe(
          "bind WebRTC (ICE) sockets to this local IPv4 address (never 0.0.0.0)",
        ),
        "interface",
        "ADDR",
      ),
      "one picked by the launcher",
    ),
    viewerNets: flag(
      z.array(z.string().regex(NET, "must be an IP or CIDR")).default(DEFAULT_VIEWER_NETS)
        .describe("address range viewers (or TURN servers) connect from"),
      "viewer-net",
      "CIDR",
    ),
    icePortRange: shownDefault(
      z.tuple([udpPort, udpPort]).optional().describe(
        "local UDP port range for ICE, [first, last]",
      ),
      "any",
    ),
  }).strict().prefault({}),
}).strict();

/** Validated publisher settings. */
export type PublisherSettings = z.output<typeof PublisherSettingsSchema>;
