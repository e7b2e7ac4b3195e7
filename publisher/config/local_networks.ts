/**
 * This host's IPv4 networks as `--viewer-net` arguments: for single-host
 * setups (the demo, tests, benchmarks) where the browser reaches the
 * publisher from one of the machine's own addresses.
 *
 * @example
 * ```ts
 * localViewerNetArgs(); // ["--viewer-net", "127.0.0.1/8", "--viewer-net", "192.0.2.2/24"]
 * ```
 * @module
 */

/** `--viewer-net <cidr>` for every IPv4 interface (needs `--allow-sys=networkInterfaces`). */
export function localViewerNetArgs(): string[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === "IPv4")
    .flatMap((i) => ["--viewer-net", i.cidr]);
}
