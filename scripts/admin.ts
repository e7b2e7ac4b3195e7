/**
 * Launcher of the operator commands (`deno task device:add …`): runs
 * signaling/admin/main.ts with the flags of `adminFlags` (the data dir only).
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { adminFlags, readAdminArgs } from "../signaling/admin/options.ts";

await runMain("vigil", async () => {
  const options = await readAdminArgs(Deno.args);
  await launch(
    adminFlags(options),
    new URL("../signaling/admin/main.ts", import.meta.url),
    Deno.args,
  );
});
