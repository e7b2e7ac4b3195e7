/**
 * `deno task publish`: reads the options and the device state, and runs
 * publisher/main.ts with the flags of `publisherFlags`
 * (publisher/config/flags.ts) and the environment of `publisherRuntimeEnv`,
 * forwarding signals and the exit code. Without `--interface` it picks this
 * host's address for ICE (`chooseInterfaceAddress`) and passes it on. When the publisher exits with
 * RELAUNCH_EXIT_CODE (75: the server's ICE servers changed, it stored the new
 * list) the flags are computed again and it starts again. The launcher itself runs with
 * `--allow-read --allow-run=deno --allow-env=GLIBC_TUNABLES --allow-sys=networkInterfaces`.
 * @module
 */
import { runMain, UsageError } from "../lib/cli.ts";
import { chooseInterfaceAddress } from "../publisher/config/local_networks.ts";
import { launch } from "../lib/launch.ts";
import { publisherFlags } from "../publisher/config/flags.ts";
import { readPublishArgs } from "../publisher/config/options.ts";
import { publisherRuntimeEnv } from "../publisher/config/runtime_flags.ts";
import { loadState } from "../publisher/device/state.ts";
import { loadIceServerUrls, RELAUNCH_EXIT_CODE } from "../publisher/device/ice_servers_state.ts";
import { sourceBinary } from "../publisher/sources/mod.ts";

await runMain("publish", async () => {
  const parsed = await readPublishArgs(Deno.args);
  // ICE binds (and is granted) one explicit local address, never 0.0.0.0: the
  // operator's --interface, else one picked from this host's interfaces.
  const chosen = parsed.interfaceAddress ?? pickInterface(parsed.viewerNets);
  const options = { ...parsed, interfaceAddress: chosen };
  const args = parsed.interfaceAddress ? Deno.args : [...Deno.args, "--interface", chosen];
  // The ICE servers the server announced last time (the publisher stores them): granted exactly.
  const flags = async () =>
    publisherFlags({
      options,
      device: (await loadState(options.stateDir)).config,
      sourceBinary: sourceBinary(options.source),
      iceServerUrls: await loadIceServerUrls(options.stateDir),
    });
  const env = publisherRuntimeEnv(operatorTunables());
  await launch(await flags(), new URL("../publisher/main.ts", import.meta.url), args, env, {
    // The server's list changed: the publisher stored it and exits 75; run it with new flags.
    relaunch: { exitCode: RELAUNCH_EXIT_CODE, reflags: flags },
  });
});

/** `chooseInterfaceAddress` over this host's interfaces (needs `--allow-sys=networkInterfaces`). */
function pickInterface(viewerNets: readonly string[]): string {
  let interfaces: Deno.NetworkInterfaceInfo[];
  try {
    interfaces = Deno.networkInterfaces();
  } catch {
    throw new UsageError(
      "pass --interface ADDR (the local IPv4 address for WebRTC), or run the launcher with --allow-sys=networkInterfaces so that it picks one",
    );
  }
  const address = chooseInterfaceAddress(interfaces, viewerNets);
  if (!address) throw new UsageError("this host has no IPv4 address: pass --interface ADDR");
  return address;
}

/** The operator's GLIBC_TUNABLES, when the launcher may read it (`--allow-env=GLIBC_TUNABLES`). */
function operatorTunables(): string | undefined {
  try {
    return Deno.env.get("GLIBC_TUNABLES");
  } catch {
    return undefined; // not granted: ours only
  }
}
