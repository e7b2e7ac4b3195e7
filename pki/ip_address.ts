/**
 * Strict IP address parsing for SAN entries. @peculiar/x509's own parser
 * accepts malformed addresses (and misreads IPv4-mapped IPv6), so addresses
 * are validated here and handed to it in a form it reads correctly.
 */

/**
 * The 4 or 16 bytes of an IPv4 or IPv6 address, or `null` if `text` is not
 * one. IPv4 parts are decimal without leading zeros (no octal ambiguity);
 * IPv6 may use `::` once and end in dotted IPv4; zone ids are rejected.
 *
 * @example
 * ```ts
 * parseIpAddress("127.0.0.1"); // Uint8Array [127, 0, 0, 1]
 * parseIpAddress("::1")?.length; // 16
 * ```
 */
export function parseIpAddress(text: string): Uint8Array | null {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/**
 * `bytes` of an address as a string @peculiar/x509 encodes correctly: dotted
 * IPv4, or all eight IPv6 groups (its `::` expansion is unreliable).
 *
 * @example
 * ```ts
 * formatIpForX509(parseIpAddress("::1")!); // "0:0:0:0:0:0:0:1"
 * ```
 */
export function formatIpForX509(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(":");
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = compressed && halves[1] !== "" ? halves[1].split(":") : [];
  // Only the very last group may be a dotted IPv4, standing for two groups.
  const endGroups = compressed ? tail : head;
  let v4: Uint8Array | null = null;
  if (endGroups.at(-1)?.includes(".")) {
    v4 = parseIpv4(endGroups.pop()!);
    if (!v4) return null;
  }
  if (![...head, ...tail].every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  const explicit = head.length + tail.length + (v4 ? 2 : 0);
  if (compressed ? explicit > 7 : explicit !== 8) return null;
  const hex = (g: string) => parseInt(g, 16);
  const groups = [...head.map(hex), ...new Array<number>(8 - explicit).fill(0), ...tail.map(hex)];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}
