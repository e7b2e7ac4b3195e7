/**
 * The `renew` program (run by `scripts/device_launch.ts` with the flags of
 * `renewFlags`): renews the device certificate over mTLS with a fresh key
 * (replaced atomically).
 * @module
 */
import { runMain } from "../../lib/cli.ts";
import { renew } from "./renew_client.ts";
import { parseRenewArgs } from "./renew_options.ts";

await runMain("renew", async () => {
  const o = parseRenewArgs(Deno.args);
  const r = await renew(o.stateDir);
  if (o.json) console.log(JSON.stringify(r));
  else console.log(`renewed ${r.deviceId}: certificate ${r.serial}, valid until ${r.notAfter}`);
});
