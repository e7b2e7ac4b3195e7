/**
 * Launcher of the operator commands: grants the command only its data dir
 * (read/write) and the host name.
 * @module
 */
import { resolve } from "node:path";
import { runMain } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";

await runMain("vigil", async () => {
  const i = Deno.args.indexOf("--data-dir");
  const dataDir = resolve(i >= 0 && Deno.args[i + 1] ? Deno.args[i + 1] : "./data");
  await launch(
    [`--allow-read=${dataDir}`, `--allow-write=${dataDir}`, "--allow-sys=hostname"],
    "../signaling/admin/main.ts",
    Deno.args,
  );
});
