/**
 * `deno task build:web [--out-dir DIR] [--no-minify]`: bundles the browser
 * viewer with esbuild (subscriber-web/build.ts). esbuild runs its native
 * binary, so this task has run/env permissions; the server never does.
 * @module
 */
import * as esbuild from "esbuild";
import { resolve } from "node:path";
import { parseCli, runMain } from "../lib/cli.ts";
import { buildWeb, DEFAULT_OUT_DIR } from "../subscriber-web/build.ts";

const USAGE = `
Build the vigil browser viewer.

Usage: deno task build:web [options]

Options:
  --out-dir DIR   output directory (default: subscriber-web/dist)
  --no-minify     keep the output readable
  -h, --help      show this help
`;

await runMain("build:web", async () => {
  const { values: v } = parseCli(Deno.args, {
    name: "build:web",
    usage: USAGE,
    options: { "out-dir": { type: "string" }, "no-minify": { type: "boolean" } },
  });
  const outDir = resolve(v["out-dir"] ?? DEFAULT_OUT_DIR);
  const started = performance.now();
  try {
    const { manifest } = await buildWeb({ outDir, minify: !v["no-minify"] });
    for (const [path, f] of Object.entries(manifest.files)) {
      console.log(`  ${path.padEnd(36)} ${(f.bytes / 1024).toFixed(1).padStart(8)} KiB`);
    }
    console.log(`built ${outDir} in ${Math.round(performance.now() - started)} ms`);
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors;
    if (errors) {
      console.error((await esbuild.formatMessages(errors, { kind: "error" })).join("\n"));
      await esbuild.stop();
    }
    throw new Error(`build failed: ${e instanceof Error ? e.message : e}`);
  }
});
