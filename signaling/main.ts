/**
 * The server process (started by `scripts/serve.ts` with the flags of
 * `serverFlags`). Prints where it listens and the CA fingerprint devices pin.
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { readServeArgs } from "./config/options.ts";
import { startServer } from "./server.ts";

await runMain("serve", async () => {
  const { settings } = await readServeArgs(Deno.args);
  const server = await startServer(settings);
  console.log(`vigil: viewers and enrollment on ${server.publicUrl}`);
  console.log(`vigil: devices (mTLS) on port ${server.devicePort}`);
  console.log(`vigil: CA fingerprint (SHA-256) ${server.caFingerprint}`);
  console.log(`vigil: data in ${settings.dataDir}`);
  const stop = async () => {
    console.log("vigil: shutting down");
    await server.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
});
