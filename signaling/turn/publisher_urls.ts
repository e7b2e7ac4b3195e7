/**
 * The ICE server URLs as a publisher gets them: DNS names replaced by the
 * IPv4 address they resolve to on the server, once at start.
 *
 * Why: the publisher's launcher grants `--allow-net` to exactly the
 * `host:port` of each server it was told about, and under such a grant Deno
 * refuses the name lookup itself (`getaddrinfo EPERM`), so a
 * `turn:turn.example.com` URL could never be used by a publisher. With an
 * address literal its grant is exact and no lookup is needed. Viewers keep
 * the names (a browser resolves them itself). `turns:` URLs keep their name:
 * their TLS certificate is checked against it.
 *
 * @example
 * ```ts
 * const urls = await publisherIceUrls([parsed], async () => ["203.0.113.10"]);
 * urls[0].href; // "turn:203.0.113.10:3478?transport=udp"
 * ```
 * @module
 */
import type { IceServerUrl } from "../../lib/ice_urls.ts";

/** Resolves a DNS name to IPv4 addresses (first used). */
export type ResolveIpv4 = (name: string) => Promise<string[]>;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether `host` is a DNS name (not an IPv4 or IPv6 literal). */
export function isDnsName(host: string): boolean {
  return !IPV4.test(host) && !host.includes(":");
}

/**
 * `urls` with every stun:/turn: DNS name replaced by its first IPv4 address.
 * A name that does not resolve is left out, and `onDrop` says why.
 */
export async function publisherIceUrls(
  urls: readonly IceServerUrl[],
  resolve: ResolveIpv4,
  onDrop: (href: string, why: string) => void = () => {},
): Promise<IceServerUrl[]> {
  const out: IceServerUrl[] = [];
  for (const u of urls) {
    if (u.scheme === "turns" || !isDnsName(u.host)) {
      out.push(u);
      continue;
    }
    let address: string | undefined;
    try {
      address = (await resolve(u.host)).find((a) => IPV4.test(a));
    } catch (err) {
      onDrop(u.href, (err as Error).message);
      continue;
    }
    if (!address) {
      onDrop(u.href, "no IPv4 address");
      continue;
    }
    const href = u.href.replace(`:${u.host}:`, `:${address}:`);
    out.push({ ...u, host: address, href });
  }
  return out;
}
