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
import { inCidr, isLoopback, isUnusableDestination, parseIpv4 } from "../../lib/ipv4.ts";

/** `--viewer-net <cidr>` for every IPv4 interface (needs `--allow-sys=networkInterfaces`). */
export function localViewerNetArgs(): string[] {
  return Deno.networkInterfaces()
    .filter((i) => i.family === "IPv4")
    .flatMap((i) => ["--viewer-net", i.cidr]);
}

/** An interface as `Deno.networkInterfaces()` lists it (the fields used here). */
export interface InterfaceInfo {
  family: "IPv4" | "IPv6";
  address: string;
}

/**
 * The local IPv4 address ICE binds to when `--interface` is not given (the
 * publisher never binds, nor is granted, the wildcard 0.0.0.0): the first
 * non-loopback address inside a viewer network, else the first non-loopback
 * address (remote viewers through TURN), else a loopback address a viewer
 * network names; null when there is none. Pure.
 *
 * @example
 * ```ts
 * chooseInterfaceAddress([{ family: "IPv4", address: "192.168.1.5" }], ["192.168.0.0/16"]); // "192.168.1.5"
 * ```
 */
export function chooseInterfaceAddress(
  interfaces: readonly InterfaceInfo[],
  viewerNets: readonly string[],
): string | null {
  const v4 = interfaces.filter((i) => {
    const a = i.family === "IPv4" ? parseIpv4(i.address) : null;
    return a !== null && !isUnusableDestination(a);
  });
  const inNets = (a: string) => viewerNets.some((n) => inCidr(parseIpv4(a)!, n));
  const outside = v4.filter((i) => !isLoopback(parseIpv4(i.address)!));
  return outside.find((i) => inNets(i.address))?.address ?? outside[0]?.address ??
    v4.find((i) => inNets(i.address))?.address ?? null;
}
