/**
 * `deno task serve`: runs signaling/main.ts with the flags of `serverFlags`
 * (signaling/config/flags.ts), computed from the same options the server reads.
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { serverFlags } from "../signaling/config/flags.ts";
import { readServeArgs } from "../signaling/config/options.ts";

await runMain("serve", async () => {
  const options = await readServeArgs(Deno.args);
  if (!Deno.args.includes("--print-flags")) await ensureViewerBuilt(options.settings.webDir);
  await launch(serverFlags(options), new URL("../signaling/main.ts", import.meta.url), Deno.args);
});

/** Builds the viewer on first start of a fresh clone (its dist/ is not committed). */
async function ensureViewerBuilt(webDir: string): Promise<void> {
  try {
    await Deno.stat(`${webDir}/index.html`);
    return;
  } catch {
    // not built yet
  }
  if (!webDir.endsWith("subscriber-web/dist")) {
    throw new Error(
      `no viewer in ${webDir} (build it with deno task build:web --out-dir ${webDir})`,
    );
  }
  console.log("serve: building the viewer (first start)…");
  const out = await new Deno.Command("deno", {
    args: ["task", "build:web"],
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("building the viewer failed (deno task build:web)");
}
