/** `deno task serve`: start the server with least-privilege flags. @module */
import { runMain } from "./cli.ts";
import { launch } from "./launch.ts";
import { parseServeArgs, serverFlags } from "../signaling/cli_options.ts";

await runMain("serve", async () => {
  const config = parseServeArgs(Deno.args);
  await launch(serverFlags(config), "../signaling/main.ts", Deno.args);
});
