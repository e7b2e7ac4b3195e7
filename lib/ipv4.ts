/**
 * Strict IPv4 handling for address allow-lists: only the canonical dotted
 * quad (`a.b.c.d`, each 0–255 without leading zeros) is an address. Short
 * forms (`127.1`), octal-looking (`0177.0.0.1`), hex (`0x7f000001`) and
 * decimal (`2130706433`) spellings, which some stacks accept and map to
 * loopback, are not addresses here. Pure.
 *
 * @example
 * ```ts
 * parseIpv4("10.0.0.7"); // 167772167
 * parseIpv4("127.1"); // null
 * inCidr(parseIpv4("10.0.0.7")!, "10.0.0.0/8"); // true
 * ```
 * @module
 */

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)";
const QUAD = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** The address as an unsigned 32-bit number, or null unless `text` is a canonical dotted quad. */
export function parseIpv4(text: string): number | null {
  const m = QUAD.exec(text);
  if (!m) return null;
  return ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0;
}

/**
 * Whether `address` lies in `cidr` (`a.b.c.d/len`, or a bare address: /32).
 * A malformed or non-IPv4 range contains nothing.
 */
export function inCidr(address: number, cidr: string): boolean {
  const [base, lenText, ...rest] = cidr.split("/");
  if (rest.length > 0) return false;
  const net = parseIpv4(base);
  const len = lenText === undefined ? 32 : /^\d{1,2}$/.test(lenText) ? +lenText : -1;
  if (net === null || len < 0 || len > 32) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((address & mask) >>> 0) === ((net & mask) >>> 0);
}

/**
 * Addresses never valid as a peer: 0.0.0.0/8 ("this network": Linux delivers
 * 0.0.0.0 to local services), multicast 224.0.0.0/4 and reserved 240.0.0.0/4
 * with the broadcast address.
 */
export function isUnusableDestination(address: number): boolean {
  return inCidr(address, "0.0.0.0/8") || inCidr(address, "224.0.0.0/3");
}

/** Whether `address` is in 127.0.0.0/8. */
export function isLoopback(address: number): boolean {
  return inCidr(address, "127.0.0.0/8");
}

/**
 * Whether `address` is for one network only, never a peer across the internet:
 * loopback, RFC 1918 private ranges, shared CGNAT space (RFC 6598) and
 * link-local (RFC 3927).
 */
export function isNonPublic(address: number): boolean {
  return [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
  ]
    .some((net) => inCidr(address, net));
}
