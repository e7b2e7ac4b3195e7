/**
 * The README's configuration tables are the settings schemas' own output
 * (`deno task docs:config`), and every setting has a description.
 */
import assert from "node:assert/strict";
import { settingsTables, withSettingsTables } from "../../docs/settings_tables.ts";
import { settingLeaves } from "../../lib/settings.ts";
import { PublisherSettingsSchema } from "../../publisher/config/settings.ts";
import { ServerSettingsSchema } from "../../signaling/config/settings.ts";

const README = new URL("../../README.md", import.meta.url);

Deno.test("README: the configuration tables match the settings schemas", async () => {
  const readme = await Deno.readTextFile(README);
  assert.equal(
    readme,
    withSettingsTables(readme),
    "README.md's settings tables are stale: run deno task docs:config",
  );
  for (const table of Object.values(settingsTables())) assert.ok(readme.includes(table));
});

Deno.test("settings: every setting of both programs has a one-line description", () => {
  for (const schema of [ServerSettingsSchema, PublisherSettingsSchema]) {
    for (const leaf of settingLeaves(schema)) {
      const name = leaf.path.join(".");
      assert.ok(leaf.description.length > 0, `${name} has no .describe()`);
      assert.ok(!leaf.description.includes("\n"), `${name}: the description is one line`);
    }
  }
});
