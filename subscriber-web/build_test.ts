/**
 * Builds the viewer into a temp dir and checks the output is CSP-clean:
 * hashed asset names, no inline script/style, every reference exists.
 * Needs: --allow-read --allow-write --allow-env --allow-run (esbuild).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { buildWeb, type Manifest } from "./build.ts";

Deno.test("buildWeb: hashed, CSP-clean output with a manifest", async () => {
  const outDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
  try {
    // A stale file from an "earlier build" and an unrelated file.
    await Deno.mkdir(join(outDir, "assets"), { recursive: true });
    await Deno.writeTextFile(join(outDir, "assets", "main-AAAAAAAA.js"), "old");
    await Deno.writeTextFile(join(outDir, "assets", "main-AAAAAAAA.js.map"), "old");
    await Deno.writeTextFile(join(outDir, "assets", "README.txt"), "keep me");

    const { files } = await buildWeb({ outDir, minify: true });

    assert.ok(files.includes("index.html"));
    assert.ok(files.includes("manifest.json"));
    const js = files.filter((f) => /^assets\/main-[A-Z0-9]{8}\.js$/.test(f));
    const css = files.filter((f) => /^assets\/styles-[A-Z0-9]{8}\.css$/.test(f));
    assert.equal(js.length, 1, files.join(", "));
    assert.equal(css.length, 1, files.join(", "));
    assert.ok(files.includes(`${js[0]}.map`), "JS source map");
    assert.ok(files.includes(`${css[0]}.map`), "CSS source map");
    for (const f of files) assert.ok((await Deno.stat(join(outDir, f))).isFile, f);

    // Stale hashed files are gone, other files untouched.
    await assert.rejects(
      Deno.stat(join(outDir, "assets", "main-AAAAAAAA.js")),
      Deno.errors.NotFound,
    );
    await assert.rejects(
      Deno.stat(join(outDir, "assets", "main-AAAAAAAA.js.map")),
      Deno.errors.NotFound,
    );
    assert.equal(await Deno.readTextFile(join(outDir, "assets", "README.txt")), "keep me");

    const html = await Deno.readTextFile(join(outDir, "index.html"));
    // No inline script or style of any kind.
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      assert.match(m[1], /\bsrc="/, "every script is external");
      assert.equal(m[2].trim(), "", "no inline script body");
    }
    assert.doesNotMatch(html, /<style\b/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, "no inline event handlers");
    assert.doesNotMatch(html, /javascript:/i);

    // Every referenced file exists, with a matching SRI hash.
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((r) =>
      !r.startsWith("data:")
    );
    assert.equal(refs.length, 2, refs.join(", "));
    for (const ref of refs) {
      assert.match(ref, /^\/assets\/[a-z]+-[A-Z0-9]{8}\.(js|css)$/);
      const data = await Deno.readFile(join(outDir, ref.slice(1)));
      const sri = `sha384-${createHash("sha384").update(data).digest("base64")}`;
      assert.ok(html.includes(`integrity="${sri}"`), `SRI for ${ref}`);
    }

    // The manifest agrees with the files.
    const manifest = JSON.parse(await Deno.readTextFile(join(outDir, "manifest.json"))) as Manifest;
    assert.equal(manifest.script, js[0]);
    assert.equal(manifest.style, css[0]);
    assert.equal(manifest.files["index.html"].immutable, false);
    assert.equal(manifest.files[js[0]].immutable, true);
    assert.match(manifest.files[js[0]].contentType, /^text\/javascript/);
    for (const [path, f] of Object.entries(manifest.files)) {
      assert.equal((await Deno.stat(join(outDir, path))).size, f.bytes, path);
    }

    // Minified, with a source map link, and no token storage in the bundle.
    const bundle = await Deno.readTextFile(join(outDir, js[0]));
    assert.match(bundle, /\/\/# sourceMappingURL=main-[A-Z0-9]{8}\.js\.map\s*$/);
    assert.ok(bundle.split("\n").length < 10, "minified");
    assert.doesNotMatch(bundle, /sessionStorage/);
    assert.doesNotMatch(bundle, /localStorage\.setItem\([^)]*[Tt]oken/);

    // Rebuilding the same sources yields the same names (content hashes).
    const again = await buildWeb({ outDir, minify: true });
    assert.deepEqual(again.files, files);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
