/**
 * `deno task publish [--config FILE] [--state-dir DIR] [--source KIND] [--max-viewers N] [--record DIR] …`
 *
 * Launcher (runs with `--allow-read --allow-run=deno --allow-env=GLIBC_TUNABLES`):
 * reads the config and the device state, computes the publisher's exact
 * permissions ({@linkcode publisherFlags}) and runs `publisher/main.ts` with them
 * and its runtime settings (publisher/runtime_flags.ts), forwarding signals and
 * the exit code.
 * @module
 */
import { resolve } from "node:path";
import { runMain } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { configPathOf, mergeOptions } from "../publisher/config/options.ts";
import { loadState, serverHost } from "../publisher/device/state.ts";
import { publisherFlags } from "../publisher/config/flags.ts";
import { publisherRuntimeEnv, publisherRuntimeFlags } from "../publisher/config/runtime_flags.ts";
import { SAMPLE_CLIP_PATH, sourceBinary } from "../publisher/sources/mod.ts";

await runMain("publish", async () => {
  const cfgPath = configPathOf(Deno.args);
  const o = mergeOptions(Deno.args, cfgPath ? await Deno.readTextFile(cfgPath) : null);
  const state = await loadState(o.stateDir);
  const readPaths: string[] = [];
  if (o.configFile) readPaths.push(o.configFile);
  if (o.source.kind === "file") {
    readPaths.push(resolve(typeof o.source.path === "string" ? o.source.path : SAMPLE_CLIP_PATH));
  }
  const permissions = publisherFlags({
    serverHost: serverHost(state.config),
    devicePort: state.config.devicePort,
    stateDir: o.stateDir,
    recordDir: o.record?.dir ?? null,
    sourceBinary: sourceBinary(o.source),
    viewerCidrs: o.viewerNets,
    bindAddress: o.interfaceAddress,
    readPaths,
  });
  const flags = [...permissions, ...publisherRuntimeFlags()];
  if (Deno.args.includes("--print-flags")) {
    console.log(flags.join(" "));
    return;
  }
  await launch(flags, "../publisher/main.ts", Deno.args, publisherRuntimeEnv(operatorTunables()));
});

/** The operator's GLIBC_TUNABLES, when the launcher may read it (`--allow-env=GLIBC_TUNABLES`). */
function operatorTunables(): string | undefined {
  try {
    return Deno.env.get("GLIBC_TUNABLES");
  } catch {
    return undefined; // not granted: ours only
  }
}
