/**
 * The server's command line: its settings (flags over an optional
 * `--config FILE`, see `settings.ts`), parsed the same way by the `serve`
 * launcher (to compute the flags, `flags.ts`) and by the server itself.
 *
 * @example
 * ```ts
 * const o = parseServeArgs(["--data-dir=/srv/vigil", "--port", "9443"], null);
 * o.settings.port; // 9443
 * ```
 * @module
 */
import { resolve } from "node:path";
import { parseSettings, readSettings, type SettingsSpec } from "../../lib/settings.ts";
import { type ServerSettings, ServerSettingsSchema } from "./settings.ts";

/** The `serve` program for the settings parser (also its `--help`). */
export const SERVE_SPEC: SettingsSpec<typeof ServerSettingsSchema> = {
  name: "serve",
  synopsis: `
deno task serve [options]

Starts the vigil signaling server: HTTPS for viewers and enrollment, mTLS for devices.
On first start it creates the CA, the server certificate and the JWT keys in the data dir.
Durations: 90s, 15m, 24h, 7d. Relative paths are relative to the working directory.`,
  schema: ServerSettingsSchema,
};

/** The parsed command line of the server. */
export interface ServeOptions {
  /** Settings with absolute paths. */
  settings: ServerSettings;
  /** The `--config` file (absolute), or null. */
  configFile: string | null;
}

/** Parses `serve` arguments and the config file's text (null: none). Pure. */
export function parseServeArgs(argv: string[], configText: string | null): ServeOptions {
  const p = parseSettings(SERVE_SPEC, argv, configText);
  return resolved(p.settings, p.configFile);
}

/** {@linkcode parseServeArgs} with the `--config` file read from disk. */
export async function readServeArgs(argv: string[]): Promise<ServeOptions> {
  const p = await readSettings(SERVE_SPEC, argv);
  return resolved(p.settings, p.configFile);
}

function resolved(s: ServerSettings, configFile: string | null): ServeOptions {
  return {
    settings: {
      ...s,
      dataDir: resolve(s.dataDir),
      webDir: resolve(s.webDir),
      tlsCertFile: s.tlsCertFile && resolve(s.tlsCertFile),
      tlsKeyFile: s.tlsKeyFile && resolve(s.tlsKeyFile),
      turnSecretFile: s.turnSecretFile && resolve(s.turnSecretFile),
      storePasswordFile: s.storePasswordFile && resolve(s.storePasswordFile),
      storeCaFile: s.storeCaFile && resolve(s.storeCaFile),
      storeCertFile: s.storeCertFile && resolve(s.storeCertFile),
      storeKeyFile: s.storeKeyFile && resolve(s.storeKeyFile),
      kekFile: s.kekFile && resolve(s.kekFile),
      busPasswordFile: s.busPasswordFile && resolve(s.busPasswordFile),
      busCaFile: s.busCaFile && resolve(s.busCaFile),
      busNkeyFile: s.busNkeyFile && resolve(s.busNkeyFile),
    },
    configFile: configFile && resolve(configFile),
  };
}
