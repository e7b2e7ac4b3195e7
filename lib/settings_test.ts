import assert from "node:assert/strict";
import { z } from "zod";
import { UsageError } from "./cli.ts";
import {
  configPathOf,
  defaultText,
  duration,
  parseSettings,
  settingFlag as flag,
  settingLeaves,
  settingsTable,
  shownDefault,
  usageText,
} from "./settings.ts";

const Schema = z.object({
  dataDir: flag(z.string().min(1).default("./data").describe("state directory"), "data-dir", "DIR"),
  port: flag(z.number().int().min(0).max(65535).default(8443).describe("port"), "port", "N"),
  timeoutMs: flag(duration("10s", { max: "1m" }).describe("a timeout"), "timeout", "DUR"),
  names: flag(z.array(z.string()).default([]).describe("names"), "name", "NAME"),
  verbose: flag(z.boolean().default(false).describe("talk more"), "verbose"),
  nested: z.object({
    dir: shownDefault(flag(z.string().describe("where"), "nested-dir", "DIR"), "off"),
    size: z.number().default(3).describe("how big"),
  }).strict().optional(),
  fileOnly: z.array(z.object({ url: z.string() }).strict()).default([]).describe("file only"),
}).strict();
const spec = { name: "test", synopsis: "deno task test-program [options]", schema: Schema };

Deno.test("settings: defaults, both flag forms, flags over the file", async (t) => {
  await t.step("every setting has its default", () => {
    const s = parseSettings(spec, [], null).settings;
    assert.deepEqual(s, {
      dataDir: "./data",
      port: 8443,
      timeoutMs: 10_000,
      names: [],
      verbose: false,
      fileOnly: [],
    });
  });
  await t.step("--opt=value and --opt value are the same", () => {
    const a = parseSettings(spec, ["--data-dir=/x", "--port=1", "--timeout=5s"], null).settings;
    const b = parseSettings(spec, ["--data-dir", "/x", "--port", "1", "--timeout", "5s"], null)
      .settings;
    assert.deepEqual(a, b);
    assert.equal(a.dataDir, "/x");
    assert.equal(a.timeoutMs, 5000);
  });
  await t.step("the file sets anything; a flag wins over it; nested flags merge", () => {
    const file = JSON.stringify({
      port: 9000,
      timeoutMs: "30s",
      fileOnly: [{ url: "stun:x" }],
      nested: { size: 5 },
    });
    const p = parseSettings(
      spec,
      ["--config", "f.json", "--port", "9001", "--nested-dir", "/n"],
      file,
    );
    assert.equal(p.settings.port, 9001);
    assert.equal(p.settings.timeoutMs, 30_000);
    assert.deepEqual(p.settings.fileOnly, [{ url: "stun:x" }]);
    assert.deepEqual(p.settings.nested, { dir: "/n", size: 5 });
    assert.equal(p.configFile, "f.json");
  });
  await t.step("repeatable flags and switches", () => {
    const s = parseSettings(spec, ["--name", "a", "--name=b", "--verbose"], null).settings;
    assert.deepEqual(s.names, ["a", "b"]);
    assert.equal(s.verbose, true);
  });
});

Deno.test("settings: bad input is one clear usage error", () => {
  const fails = (argv: string[], file: string | null, re: RegExp) =>
    assert.throws(
      () => parseSettings(spec, argv, file),
      (e) => e instanceof UsageError && re.test(e.message),
    );
  fails(["--port", "abc"], null, /^--port must be a number, got "abc"$/);
  fails(["--port="], null, /^--port must be a number/);
  fails(["--port", "70000"], null, /^--port: /);
  fails(["--timeout", "2m"], null, /^--timeout: must be at most 1m$/);
  fails(["--timeout", "soon"], null, /^--timeout: invalid duration "soon"/);
  fails(["--bogus"], null, /Unknown option '--bogus'/);
  fails(["--config", "f.json"], "{not json", /^f\.json: not valid JSON/);
  fails(["--config", "f.json"], "[1]", /^f\.json: must be a JSON object/);
  fails(["--config", "f.json"], '{"dataDirr": "/x"}', /^f\.json: unknown setting "dataDirr"$/);
  fails(
    ["--config", "f.json"],
    '{"nested": {"dir": "/x", "sise": 1}}',
    /unknown setting "nested\.sise"/,
  );
  fails(["--config", "f.json"], '{"port": "8443"}', /^f\.json: port: /);
});

Deno.test("settings: configPathOf reads both forms and refuses an empty name", () => {
  assert.equal(configPathOf(["--config", "a.json"]), "a.json");
  assert.equal(configPathOf(["--x", "--config=b.json"]), "b.json");
  assert.equal(configPathOf(["--port", "1"]), null);
  assert.throws(() => configPathOf(["--config"]), UsageError);
  assert.throws(() => configPathOf(["--config="]), UsageError);
});

Deno.test("settings: help text and docs table come from the schema", () => {
  const help = usageText(spec);
  assert.match(help, /--data-dir DIR\s+state directory \(default \.\/data\)/);
  assert.match(help, /--timeout DUR\s+a timeout \(default 10s\)/);
  assert.match(help, /--name NAME\s+names \(repeatable\)/);
  assert.match(help, /--config FILE/);
  const leaves = settingLeaves(Schema);
  assert.deepEqual(leaves.map((l) => l.path.join(".")), [
    "dataDir",
    "port",
    "timeoutMs",
    "names",
    "verbose",
    "nested.dir",
    "nested.size",
    "fileOnly",
  ]);
  assert.deepEqual(leaves.map(defaultText), [
    "./data",
    "8443",
    "10s",
    "none",
    "false",
    "off",
    "3",
    "none",
  ]);
  const table = settingsTable(leaves).split("\n");
  assert.equal(table.length, 2 + leaves.length);
  assert.match(
    table[2],
    /^\| `dataDir` +\| `--data-dir DIR` +\| `\.\/data` +\| state directory +\|$/,
  );
  assert.match(table[9], /^\| `fileOnly` +\| +\| none +\| file only +\|$/);
  for (const l of leaves) assert.ok(l.description, `${l.path.join(".")} has a description`);
});
