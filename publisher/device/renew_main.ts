/**
 * `deno task renew [--state-dir DIR] [--json]`: renews the device certificate
 * over mTLS with a fresh key (replaced atomically). `deno task publish` also
 * renews on its own at 2/3 of the lifetime.
 * @module
 */
import { parseCli, runMain } from "../../lib/cli.ts";
import { renew } from "./renew_client.ts";
import { DEFAULT_STATE_DIR } from "./state.ts";

const USAGE = `
deno task renew [--state-dir DIR] [--json]

Renews this camera's client certificate over mTLS, with a fresh key.

Options:
  --state-dir DIR   device state (default ${DEFAULT_STATE_DIR})
  --json            machine-readable output
  --help            this text
`;

await runMain("renew", async () => {
  const { values: v } = parseCli(Deno.args, {
    name: "renew",
    usage: USAGE,
    options: { "state-dir": { type: "string" }, json: { type: "boolean" } },
  });
  const r = await renew(v["state-dir"] ?? DEFAULT_STATE_DIR);
  if (v.json) console.log(JSON.stringify(r));
  else console.log(`renewed ${r.deviceId}: certificate ${r.serial}, valid until ${r.notAfter}`);
});
