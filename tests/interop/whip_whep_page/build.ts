/**
 * Bundles the whip-whep test page with esbuild: `index.html` + `page.js`
 * into a directory any static server (or the vigil server's web dir) serves.
 * @module
 */
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

const HERE = new URL("./", import.meta.url);

/** Resolves `whip-whep/…` through deno.json's import map (Deno's npm cache). */
const npmFromImportMap: esbuild.Plugin = {
  name: "import-map",
  setup(build) {
    build.onResolve({ filter: /^whip-whep\// }, (args) => ({
      path: fileURLToPath(import.meta.resolve(args.path)),
    }));
  },
};

/** Writes `index.html` and `page.js` into `outDir`. */
export async function buildWhipWhepPage(outDir: string): Promise<void> {
  try {
    const result = await esbuild.build({
      entryPoints: [fileURLToPath(new URL("page.ts", HERE))],
      bundle: true,
      format: "esm",
      target: "chrome120",
      write: false,
      logLevel: "silent",
      plugins: [npmFromImportMap],
    });
    await Deno.mkdir(outDir, { recursive: true });
    await Deno.writeFile(`${outDir}/page.js`, result.outputFiles[0].contents);
    await Deno.copyFile(new URL("index.html", HERE), `${outDir}/index.html`);
  } finally {
    await esbuild.stop();
  }
}
