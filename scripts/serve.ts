/** `deno task serve`: start the server with least-privilege flags. @module */
import { runMain } from "../lib/cli.ts";
import { launch } from "../lib/launch.ts";
import { parseServeArgs, serverFlags } from "../signaling/config/options.ts";

await runMain("serve", async () => {
  const config = parseServeArgs(Deno.args);
  await ensureViewerBuilt(config.webDir);
  await launch(serverFlags(config), "../signaling/main.ts", Deno.args);
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
