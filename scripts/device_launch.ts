/**
 * Launcher of the device-side one-shot commands (`enroll`, `renew`): grants
 * network access only to the server's address and file access only to the
 * state directory.
 * @module
 */
import { resolve } from "node:path";
import { runMain, UsageError } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { DEFAULT_STATE_DIR, loadState } from "../publisher/device/state.ts";

function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

await runMain("vigil", async () => {
  const [command, ...args] = Deno.args;
  const stateDir = resolve(flagValue(args, "--state-dir") ?? DEFAULT_STATE_DIR);
  const files = [`--allow-read=${stateDir}`, `--allow-write=${stateDir}`];
  if (args.includes("--help") || args.includes("-h")) {
    return await launch([], `../publisher/device/${command}_main.ts`, args);
  }
  if (command === "enroll") {
    const server = flagValue(args, "--server");
    let net = "--allow-net=none.invalid";
    if (server) {
      let url: URL;
      try {
        url = new URL(server);
      } catch {
        throw new UsageError(`--server must be a URL like https://host:8443, got "${server}"`);
      }
      net = `--allow-net=${url.hostname}:${url.port || 443}`;
    }
    await launch([net, ...files], "../publisher/device/enroll_main.ts", args);
  } else if (command === "renew") {
    const state = await loadState(stateDir);
    const host = new URL(state.config.serverUrl).hostname;
    await launch(
      [`--allow-net=${host}:${state.config.devicePort}`, ...files],
      "../publisher/device/renew_main.ts",
      args,
    );
  } else {
    throw new UsageError(`unknown device command "${command}"`);
  }
});
