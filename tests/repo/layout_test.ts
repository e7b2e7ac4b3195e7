/**
 * The layout rules the architecture relies on, checked on the whole tree:
 * `scripts/` holds only entry points (nothing outside it imports from it),
 * `lib/` imports no program, and production code imports no test support.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const REPO = normalize(join(dirname(new URL(import.meta.url).pathname), "../.."));
const SKIP = new Set([
  ".git",
  "node_modules",
  "data",
  "demo-data",
  "subscriber-web/dist",
  "tests/artifacts",
]);

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    const rel = relative(REPO, path);
    if (SKIP.has(rel) || e.name.startsWith(".")) continue;
    if (e.isDirectory) yield* sources(path);
    else if (/\.(ts|js|mjs|tsx)$/.test(e.name)) yield rel;
  }
}

/** Every static or dynamic import (and `new URL(…, import.meta.url)`) of a file, repo-relative. */
function importsOf(file: string, source: string): string[] {
  // Comments may show imports as examples: only code counts.
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs = [
    ...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g),
    ...text.matchAll(/new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/g),
  ].map((m) => m[1]);
  return specs.filter((s) => s.startsWith(".")).map((s) => normalize(join(dirname(file), s)));
}

const files: Record<string, string[]> = {};
for await (const f of sources(REPO)) {
  files[f] = importsOf(f, await Deno.readTextFile(join(REPO, f)));
}

Deno.test("layout: the scan sees the tree (the rules below are not vacuous)", () => {
  assert.ok(Object.keys(files).length > 200, `only ${Object.keys(files).length} files scanned`);
  assert.ok(
    files["scripts/serve.ts"].includes("signaling/main.ts"),
    "a launcher's program URL is seen",
  );
  assert.ok(files["signaling/server.ts"].includes("signaling/sessions/viewing.ts"));
});

Deno.test("layout: no file outside scripts/ imports from scripts/", () => {
  const offenders = Object.entries(files)
    .filter(([f]) => !f.startsWith("scripts/"))
    .flatMap(([f, deps]) => deps.filter((d) => d.startsWith("scripts/")).map((d) => `${f} → ${d}`));
  assert.deepEqual(offenders, [], "scripts/ holds entry points only; move shared code to lib/");
});

Deno.test("layout: lib/ stands on nothing above it", () => {
  const offenders = Object.entries(files)
    .filter(([f]) => f.startsWith("lib/"))
    .flatMap(([f, deps]) => deps.filter((d) => !d.startsWith("lib/")).map((d) => `${f} → ${d}`));
  assert.deepEqual(offenders, []);
});

// The publisher ships in its own image (containers/publisher.Containerfile copies
// publisher/, pki/ and lib/ only): what it shares with the server lives in lib/.
Deno.test("layout: the publisher's production code imports nothing of the server", () => {
  const offenders = Object.entries(files)
    .filter(([f]) => f.startsWith("publisher/") && !f.endsWith("_test.ts"))
    .flatMap(([f, deps]) =>
      deps.filter((d) => d.startsWith("signaling/")).map((d) => `${f} → ${d}`)
    );
  assert.deepEqual(offenders, [], "share it through lib/");
});

Deno.test("layout: production code imports no test support", () => {
  const production = (f: string) =>
    /^(lib|pki|signaling|publisher|subscriber-web\/src|scripts|containers)\//.test(f) &&
    !f.endsWith("_test.ts") && !/(^|\/)_[^/]+$/.test(f);
  const testSupport = (d: string) =>
    d.startsWith("tests/") || d.startsWith("bench/") || /(^|\/)_[^/]+$/.test(d);
  const offenders = Object.entries(files)
    .filter(([f]) => production(f))
    .flatMap(([f, deps]) => deps.filter(testSupport).map((d) => `${f} → ${d}`));
  assert.deepEqual(offenders, []);
});
