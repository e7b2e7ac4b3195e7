/**
 * The `deno` arguments that start a publisher on this host through the
 * `publish` launcher (so it gets exactly the task's least-privilege flags),
 * allowed to send video to this host's own networks. Shared by the demo,
 * the end-to-end tests and the benchmarks.
 * @module
 */
import { localViewerNetArgs } from "../../publisher/config/local_networks.ts";

/** `deno run … scripts/publish.ts --state-dir DIR --source file --viewer-net …` plus `extra`. */
export function localPublishArgs(stateDir: string, extra: string[] = []): string[] {
  return [
    "run",
    "--allow-read",
    "--allow-run=deno",
    "--allow-env=GLIBC_TUNABLES",
    "scripts/publish.ts",
    "--state-dir",
    stateDir,
    "--source",
    "file",
    ...localViewerNetArgs(),
    ...extra,
  ];
}
