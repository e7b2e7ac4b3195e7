/**
 * The README's configuration tables, generated from the settings schemas
 * (signaling/config/settings.ts, publisher/config/settings.ts) so that they
 * cannot drift: `deno task docs:config` writes them, and
 * tests/repo/config_docs_test.ts fails when the README differs.
 *
 * @example
 * ```ts
 * const readme = await Deno.readTextFile("README.md");
 * await Deno.writeTextFile("README.md", withSettingsTables(readme));
 * ```
 * @module
 */
import { settingLeaves, settingsTable } from "../lib/settings.ts";
import { PublisherSettingsSchema } from "../publisher/config/settings.ts";
import { ServerSettingsSchema } from "../signaling/config/settings.ts";

/** The generated tables by marker name. */
export function settingsTables(): Record<string, string> {
  const publisher = settingLeaves(PublisherSettingsSchema);
  return {
    server: settingsTable(settingLeaves(ServerSettingsSchema)),
    publisher: settingsTable(publisher.filter((l) => l.path[0] !== "source")),
    source: settingsTable(publisher.filter((l) => l.path[0] === "source")),
  };
}

/**
 * `readme` with every `<!-- settings:NAME -->` … `<!-- /settings:NAME -->`
 * block replaced by its generated table; throws when a block is missing.
 */
export function withSettingsTables(readme: string): string {
  let out = readme;
  for (const [name, table] of Object.entries(settingsTables())) {
    const re = new RegExp(
      `(<!-- settings:${name} [^>]*-->\\n)[\\s\\S]*?(<!-- /settings:${name} -->)`,
    );
    if (!re.test(out)) throw new Error(`README.md has no <!-- settings:${name} … --> block`);
    out = out.replace(re, (_, open, close) => `${open}\n${table}\n\n${close}`);
  }
  return out;
}
