/**
 * The `publish` command line: the publisher's settings (flags over an
 * optional `--config FILE`, see `settings.ts`), parsed the same way by the
 * launcher (to compute the flags, `flags.ts`) and by the publisher itself.
 *
 * @example
 * ```ts
 * const o = parsePublishArgs(["--source=file", "--viewer-net", "192.168.1.0/24"], null);
 * o.source.kind; // "file"
 * ```
 * @module
 */
import { resolve } from "node:path";
import { parseSettings, readSettings, type SettingsSpec } from "../../lib/settings.ts";
import { type PublisherSettings, PublisherSettingsSchema } from "./settings.ts";

/** The `publish` program for the settings parser (also its `--help`). */
export const PUBLISH_SPEC: SettingsSpec<typeof PublisherSettingsSchema> = {
  name: "publish",
  synopsis: `
deno task publish [options]

Streams this camera to the vigil server's viewers. Connects out with mTLS; opens
no listening TCP port. Runs with only the permissions its configuration needs.
More settings (source, record, network) in the --config file: see the README.`,
  schema: PublisherSettingsSchema,
};

/** Everything the publisher needs, resolved (absolute paths). */
export interface PublishOptions {
  /** The `--config` file (absolute), or null. */
  configFile: string | null;
  stateDir: string;
  source: PublisherSettings["source"];
  maxViewers: number;
  label: string | undefined;
  record: (NonNullable<PublisherSettings["record"]>) | null;
  /** Seconds between camera-list snapshots (0: none): `--snapshots`, else the recording's. */
  snapshotSeconds: number;
  interfaceAddress: string | undefined;
  viewerNets: string[];
  icePortRange: [number, number] | undefined;
  /** How RTP leaves the process (publisher/peer/viewer_peer.ts `sendPath`). */
  sendPath: "direct" | "werift";
}

/** Parses `publish` arguments and the config file's text (null: none). Pure. */
export function parsePublishArgs(argv: string[], configText: string | null): PublishOptions {
  const p = parseSettings(PUBLISH_SPEC, argv, configText);
  return resolved(p.settings, p.configFile);
}

/** {@linkcode parsePublishArgs} with the `--config` file read from disk. */
export async function readPublishArgs(argv: string[]): Promise<PublishOptions> {
  const p = await readSettings(PUBLISH_SPEC, argv);
  return resolved(p.settings, p.configFile);
}

function resolved(s: PublisherSettings, configFile: string | null): PublishOptions {
  return {
    configFile: configFile && resolve(configFile),
    stateDir: resolve(s.stateDir),
    source: s.source,
    maxViewers: s.maxViewers,
    label: s.camera.label,
    record: s.record ? { ...s.record, dir: resolve(s.record.dir) } : null,
    snapshotSeconds: s.snapshotSeconds ?? s.record?.snapshotSeconds ?? 0,
    interfaceAddress: s.network.interfaceAddress,
    viewerNets: s.network.viewerNets,
    icePortRange: s.network.icePortRange,
    sendPath: s.sendPath,
  };
}
