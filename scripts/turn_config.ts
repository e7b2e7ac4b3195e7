/**
 * `deno task turn:config`: the coturn configuration of this deployment and
 * its shared secret (signaling/turn/coturn_cli.ts). Run with read access to
 * the repository's shipped template and write access to `--dir` only.
 * @module
 */
import { join } from "node:path";
import { runMain } from "../lib/cli.ts";
import { parseTurnConfigArgs } from "../signaling/turn/coturn_cli.ts";
import {
  loadCoturnTemplate,
  renderCoturnConfig,
  writeCoturnConfig,
} from "../signaling/turn/coturn_config.ts";
import { ensureTurnSecret } from "../signaling/turn/secret.ts";

await runMain("turn:config", async () => {
  const { dir, settings } = parseTurnConfigArgs(Deno.args);
  const secretFile = join(dir, "secret");
  const secret = await ensureTurnSecret(secretFile);
  const text = renderCoturnConfig(await loadCoturnTemplate(), {
    ...settings,
    secret,
    stateDir: dir,
  });
  const out = join(dir, "turnserver.conf");
  await writeCoturnConfig(out, text);
  console.log(`turn:config: wrote ${out} (0600); the shared secret is ${secretFile}`);
});
