/**
 * Launcher of the device's one-shot commands (`deno task enroll`, `deno task
 * renew`): runs publisher/device/{enroll,renew}_main.ts with the flags of
 * `enrollFlags` / `renewFlags` (network only to the server, files only in the
 * state dir).
 * @module
 */
import { runMain, UsageError } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { enrollFlags, parseEnrollArgs } from "../publisher/device/enroll_options.ts";
import { parseRenewArgs, renewFlags } from "../publisher/device/renew_options.ts";
import { loadState } from "../publisher/device/state.ts";

const [command, ...args] = Deno.args;
await runMain(command ?? "vigil", async () => {
  const program = new URL(`../publisher/device/${command}_main.ts`, import.meta.url);
  if (command === "enroll") {
    await launch(enrollFlags(parseEnrollArgs(args)), program, args);
  } else if (command === "renew") {
    const o = parseRenewArgs(args);
    await launch(renewFlags(o, (await loadState(o.stateDir)).config), program, args);
  } else {
    throw new UsageError(`unknown device command "${command ?? ""}" (enroll, renew)`);
  }
});
