/**
 * `deno task docs:config`: writes the README's configuration tables from the
 * settings schemas (docs/settings_tables.ts). `--check` only reports whether
 * they are current (exit 1 when not).
 * @module
 */
import { runMain } from "../lib/cli.ts";
import { withSettingsTables } from "../docs/settings_tables.ts";

const README = new URL("../README.md", import.meta.url);

await runMain("docs:config", async () => {
  const current = await Deno.readTextFile(README);
  const next = withSettingsTables(current);
  if (Deno.args.includes("--check")) {
    if (next !== current) {
      throw new Error("README.md's settings tables are stale: run deno task docs:config");
    }
    console.log("README.md's settings tables are current");
    return;
  }
  if (next !== current) await Deno.writeTextFile(README, next);
  console.log(next === current ? "README.md was current" : "README.md's settings tables written");
});
