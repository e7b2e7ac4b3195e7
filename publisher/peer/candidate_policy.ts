/**
 * Which remote ICE candidates the publisher may use: the only addresses it
 * ever sends to are these. Pure, with the allow-lists as input:
 *
 * - a candidate whose address is a canonical dotted-quad IPv4 inside one of
 *   the viewer networks (`--viewer-net`), or
 * - a `typ relay` candidate whose address is one of the TURN servers the
 *   publisher was given (`relayAddresses`, IPv4 literals), or
 * - when the publisher has TURN servers, a public unicast address (a remote
 *   viewer's server-reflexive or peer-reflexive address). The publisher
 *   reaches it only through its own relay: its `--allow-net` grants no such
 *   address, and coturn's shipped configuration refuses private, loopback and
 *   its own addresses as peers. Pairing the publisher's relay with this
 *   candidate is what installs the TURN permission for the viewer's NAT
 *   address (RFC 8656 section 9), so dropping it breaks remote viewing.
 *
 * Everything else is dropped before werift sees it: 0.0.0.0 and every
 * wildcard, loopback or IPv4-mapped IPv6 spelling (`::`, `::ffff:127.0.0.1`,
 * `127.1`, `0x7f000001`, `2130706433`, `localhost`), host names and mDNS
 * `.local` names, IPv6 (the publisher gathers IPv4 only), multicast and
 * broadcast, port 0, TCP candidates. A loopback address is accepted only when
 * a viewer network names it (single-host tests and the demo).
 *
 * @example
 * ```ts
 * const policy = { viewerNets: ["192.168.1.0/24"], relayAddresses: ["203.0.113.10"] };
 * acceptRemoteCandidate("a=candidate:1 1 udp 1 192.168.1.9 50000 typ host", policy); // true
 * acceptRemoteCandidate("a=candidate:1 1 udp 1 0.0.0.0 50000 typ host", policy); // false
 * ```
 * @module
 */
import { inCidr, isNonPublic, isUnusableDestination, parseIpv4 } from "../../lib/ipv4.ts";

/** The allow-lists remote candidates are checked against. */
export interface CandidatePolicy {
  /** CIDR ranges (or single IPv4 addresses) viewers connect from. */
  viewerNets: readonly string[];
  /** IPv4 addresses of the TURN servers the publisher was given (a viewer's relay is there). */
  relayAddresses: readonly string[];
}

/** The fields of a candidate attribute RFC 8839 §5.1 names, or null when malformed. */
function fields(line: string) {
  const body = line.trim().replace(/^a=/, "");
  if (!body.startsWith("candidate:")) return null;
  const f = body.slice("candidate:".length).split(/\s+/);
  // foundation component transport priority address port typ type …
  if (f.length < 8 || f[6] !== "typ") return null;
  return { transport: f[2].toLowerCase(), address: f[4], port: f[5], type: f[7].toLowerCase() };
}

/** Why `line` is refused under `policy`, or null when it may be used. */
export function candidateRefusal(line: string, policy: CandidatePolicy): string | null {
  const c = fields(line);
  if (!c) return "malformed candidate";
  if (c.transport !== "udp") return "not UDP";
  if (!/^[1-9]\d{0,4}$/.test(c.port) || +c.port > 65535) return "bad port";
  const address = parseIpv4(c.address);
  if (address === null) return "not a dotted-quad IPv4 address";
  if (isUnusableDestination(address)) return "unspecified, multicast or broadcast address";
  if (c.type === "relay" && policy.relayAddresses.includes(c.address)) return null;
  if (policy.viewerNets.some((net) => inCidr(address, net))) return null;
  if (
    policy.relayAddresses.length > 0 && !isNonPublic(address) &&
    !policy.relayAddresses.includes(c.address)
  ) return null;
  return "outside the viewer networks";
}

/** Whether the publisher may use remote candidate `line` (`a=candidate:…` or `candidate:…`). */
export function acceptRemoteCandidate(line: string, policy: CandidatePolicy): boolean {
  return candidateRefusal(line, policy) === null;
}

/** The IPv4 literal hosts of STUN/TURN URLs (`turn:203.0.113.10:3478?…`): a policy's relays. */
export function relayAddressesOf(urls: readonly string[]): string[] {
  const out = new Set<string>();
  for (const url of urls) {
    const m = /^turns?:([^:?/]+)(?::\d+)?(?:\?.*)?$/.exec(url);
    if (m && parseIpv4(m[1]) !== null) out.add(m[1]);
  }
  return [...out];
}

/** Every usable IPv4 address (still never 0.0.0.0/8, multicast, broadcast): tests and benchmarks on one host. */
export const ANY_ADDRESS: CandidatePolicy = { viewerNets: ["0.0.0.0/0"], relayAddresses: [] };
