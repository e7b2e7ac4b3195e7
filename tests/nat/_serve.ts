/**
 * The signaling server for the NAT tests, run inside the "public" namespace
 * with exactly the permissions `deno task serve` would compute
 * (`serverFlags`): `_serve.ts '<config overrides JSON>' <serve options…>`.
 *
 * The overrides carry what `serve` has no option for yet (`iceServers`,
 * until the TURN integration adds `--ice-server`); then this file goes and
 * the tests start `scripts/serve.ts` itself.
 * @module
 */
import { parseServeArgs } from "../../signaling/config/options.ts";
import { startServer } from "../../signaling/server.ts";

// The overrides are read as the text of a `--config` file: the same schema.
const [overrides, ...args] = Deno.args;
const server = await startServer(parseServeArgs(args, overrides).settings);
console.log(`vigil: ready ${server.publicUrl} ${server.caFingerprint}`);
const stop = async () => {
  await server.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
