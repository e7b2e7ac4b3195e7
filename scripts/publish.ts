/**
 * `deno task publish`: reads the options and the device state, and runs
 * publisher/main.ts with the flags of `publisherFlags`
 * (publisher/config/flags.ts) and the environment of `publisherRuntimeEnv`,
 * forwarding signals and the exit code. The launcher itself runs with
 * `--allow-read --allow-run=deno --allow-env=GLIBC_TUNABLES`.
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { publisherFlags } from "../publisher/config/flags.ts";
import { readPublishArgs } from "../publisher/config/options.ts";
import { publisherRuntimeEnv } from "../publisher/config/runtime_flags.ts";
import { loadState } from "../publisher/device/state.ts";
import { sourceBinary } from "../publisher/sources/mod.ts";

await runMain("publish", async () => {
  const options = await readPublishArgs(Deno.args);
  const { config: device } = await loadState(options.stateDir);
  const flags = publisherFlags({ options, device, sourceBinary: sourceBinary(options.source) });
  const env = publisherRuntimeEnv(operatorTunables());
  await launch(flags, new URL("../publisher/main.ts", import.meta.url), Deno.args, env);
});

/** The operator's GLIBC_TUNABLES, when the launcher may read it (`--allow-env=GLIBC_TUNABLES`). */
function operatorTunables(): string | undefined {
  try {
    return Deno.env.get("GLIBC_TUNABLES");
  } catch {
    return undefined; // not granted: ours only
  }
}
