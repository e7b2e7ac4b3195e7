/**
 * Builds the browser viewer (subscriber-web/src) with esbuild into
 * subscriber-web/dist:
 *
 *   dist/index.html                 references the hashed assets, no inline script/style
 *   dist/manifest.json              what was built (paths, sizes, SRI, content types)
 *   dist/assets/main-<hash>.js      (+ .map)
 *   dist/assets/styles-<hash>.css   (+ .map)
 *
 * Hashed files of earlier builds are removed. The command is
 * `deno task build:web` (scripts/build_web.ts); in-process:
 *
 * @example
 * ```ts
 * import { buildWeb } from "./subscriber-web/build.ts";
 * const { files } = await buildWeb({ outDir, minify: true });
 * ```
 * @module
 */

import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC_DIR = join(REPO_ROOT, "subscriber-web", "src");
export const DEFAULT_OUT_DIR = join(REPO_ROOT, "subscriber-web", "dist");

/** URL path under which the server serves dist/assets. */
const ASSETS_URL = "/assets/";
const ASSETS_DIR = "assets";
/** esbuild's [hash] is 8 characters of base32. */
const HASHED_FILE = /^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*-[A-Z0-9]{8}\.(?:js|css)(?:\.map)?$/;

export interface BuildWebOptions {
  /** Output directory (default subscriber-web/dist). Created if missing. */
  outDir?: string;
  /** Minify JS and CSS (default true). */
  minify?: boolean;
}

export interface ManifestFile {
  bytes: number;
  contentType: string;
  /** SRI hash (sha384) */
  integrity: string;
  /** Content-hashed name: may be cached forever. */
  immutable: boolean;
}

export interface Manifest {
  version: 1;
  entry: "index.html";
  script: string;
  style: string;
  files: Record<string, ManifestFile>;
}

export interface BuildWebResult {
  /** Paths relative to outDir, "/"-separated, sorted. */
  files: string[];
  manifest: Manifest;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
};

function contentType(path: string): string {
  const m = /\.[a-z]+$/.exec(path);
  return (m && CONTENT_TYPES[m[0]]) ?? "application/octet-stream";
}

function integrity(data: Uint8Array): string {
  return `sha384-${createHash("sha384").update(data).digest("base64")}`;
}

function toPosix(p: string): string {
  return p.split(sep).join("/");
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** The page shell. Everything is external: the CSP forbids inline code and styles. */
export function renderIndexHtml(
  scriptUrl: string,
  scriptSri: string,
  styleUrl: string,
  styleSri: string,
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="dark">
<meta name="theme-color" content="#0e1116">
<meta name="referrer" content="no-referrer">
<title>vigil</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeAttr(styleUrl)}" integrity="${escapeAttr(styleSri)}">
<script type="module" src="${escapeAttr(scriptUrl)}" integrity="${escapeAttr(scriptSri)}"></script>
</head>
<body>
<div id="app"><noscript><p>vigil needs JavaScript to show live video.</p></noscript></div>
</body>
</html>
`;
}

/** Writes a file via a temporary name + rename, so readers never see half a file. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/**
 * The npm packages the viewer imports by bare name (deno.json's import map).
 * Importing one here makes Deno fetch the locked version into its cache
 * (it is part of this module's graph, so `deno install --entrypoint` and a
 * plain `deno run` both get it); esbuild then bundles its ESM files from
 * there. A name missing here fails the build with esbuild's "could not
 * resolve".
 */
const BROWSER_PACKAGES: Record<string, () => Promise<unknown>> = {
  "@simplewebauthn/browser": () => import("@simplewebauthn/browser"),
};

const importMapPackages: esbuild.Plugin = {
  name: "import-map-packages",
  setup(build) {
    build.onResolve({ filter: /^[@a-z]/ }, async (args) => {
      const load = BROWSER_PACKAGES[args.path];
      if (!load) return undefined;
      await load();
      return { path: fileURLToPath(import.meta.resolve(args.path)) };
    });
  },
};

let queue: Promise<unknown> = Promise.resolve();

/**
 * Builds the viewer. Calls are serialized within a process (each build
 * stops the shared esbuild service when done).
 */
export function buildWeb(options: BuildWebOptions = {}): Promise<BuildWebResult> {
  const run = queue.then(() => build(options), () => build(options));
  queue = run.catch(() => {});
  return run;
}

async function build(options: BuildWebOptions): Promise<BuildWebResult> {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const assetsDir = join(outDir, ASSETS_DIR);
  const minify = options.minify ?? true;
  await Deno.mkdir(assetsDir, { recursive: true });

  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      absWorkingDir: REPO_ROOT,
      entryPoints: {
        main: join(SRC_DIR, "main.ts"),
        styles: join(SRC_DIR, "styles.css"),
      },
      outdir: assetsDir,
      entryNames: "[name]-[hash]",
      assetNames: "[name]-[hash]",
      chunkNames: "[name]-[hash]",
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify,
      sourcemap: "linked",
      sourcesContent: true,
      legalComments: "none",
      charset: "utf8",
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [importMapPackages],
    });
  } finally {
    await esbuild.stop();
  }

  const written = new Set<string>();
  const files: Record<string, ManifestFile> = {};
  let script = "";
  let style = "";
  for (const out of result.outputFiles) {
    const rel = toPosix(relative(outDir, out.path));
    if (rel.startsWith("../")) throw new Error(`esbuild wrote outside ${outDir}: ${out.path}`);
    await writeAtomic(out.path, out.contents);
    written.add(out.path);
    files[rel] = {
      bytes: out.contents.byteLength,
      contentType: contentType(rel),
      integrity: integrity(out.contents),
      immutable: true,
    };
    const meta = result.metafile.outputs[toPosix(relative(REPO_ROOT, out.path))];
    if (meta?.entryPoint?.endsWith("main.ts") && rel.endsWith(".js")) script = rel;
    if (meta?.entryPoint?.endsWith("styles.css") && rel.endsWith(".css")) style = rel;
  }
  if (!script || !style) throw new Error("build produced no script or stylesheet");

  const html = renderIndexHtml(
    ASSETS_URL + script.slice(ASSETS_DIR.length + 1),
    files[script].integrity,
    ASSETS_URL + style.slice(ASSETS_DIR.length + 1),
    files[style].integrity,
  );
  const htmlBytes = new TextEncoder().encode(html);
  files["index.html"] = {
    bytes: htmlBytes.byteLength,
    contentType: contentType("index.html"),
    integrity: integrity(htmlBytes),
    immutable: false,
  };
  const manifest: Manifest = { version: 1, entry: "index.html", script, style, files };

  // index.html last among the page files: a server never sees it point at
  // assets that are not written yet.
  await writeAtomic(join(outDir, "index.html"), htmlBytes);
  await writeAtomic(join(outDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");

  // Remove hashed files (and stray temp files) of earlier builds.
  for await (const entry of Deno.readDir(assetsDir)) {
    const path = join(assetsDir, entry.name);
    if (!entry.isFile || written.has(path)) continue;
    if (HASHED_FILE.test(entry.name) || entry.name.endsWith(".tmp")) await Deno.remove(path);
  }

  return { files: [...Object.keys(files), "manifest.json"].sort(), manifest };
}
