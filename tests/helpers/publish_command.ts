/**
 * The `deno` arguments that start a publisher on this host through the
 * `publish` launcher, exactly as `deno task publish` does, allowed to send
 * video to this host's own networks. Shared by the end-to-end tests and the
 * benchmarks.
 * @module
 */
import { localViewerNetArgs } from "../../publisher/config/local_networks.ts";
import { taskArgs } from "./tasks.ts";

/** `deno run … scripts/publish.ts --state-dir DIR --source file --viewer-net …` plus `extra`. */
export function localPublishArgs(stateDir: string, extra: string[] = []): string[] {
  return [
    ...taskArgs("publish"),
    "--state-dir",
    stateDir,
    "--source",
    "file",
    ...localViewerNetArgs(),
    ...extra,
  ];
}
