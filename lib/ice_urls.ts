/**
 * ICE server URLs as an operator writes them (`--ice-server URL`): parsed
 * and validated by the grammars of RFC 7064 (`stun:`) and RFC 7065
 * (`turn:`, `turns:`), so a typo is refused at start with a message that
 * says what is wrong instead of failing silently in every browser later.
 *
 * Accepted: `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]`,
 * `turns:host[:port][?transport=tcp]`. host is an IPv4 address, a
 * bracketed IPv6 address or a DNS name. Not accepted: `stuns:` (few
 * clients implement it), user info (RFC 7065 §3 has none: credentials
 * travel beside the URL), `//` authorities, and `turns:` over UDP (DTLS to
 * the TURN server, which browsers do not implement).
 *
 * @example
 * ```ts
 * const u = parseIceServerUrl("turn:turn.example.com?transport=udp");
 * // { ok: true, url: { scheme: "turn", host: "turn.example.com", port: 3478, transport: "udp",
 * //   href: "turn:turn.example.com:3478?transport=udp" } }
 * parseIceServerUrl("turn:a.example:0").ok; // false: "…port must be 1–65535…"
 * ```
 * @module
 */
import { z } from "zod";

/** A validated ICE server URL. */
export interface IceServerUrl {
  scheme: "stun" | "turn" | "turns";
  /** IPv4 literal, IPv6 literal (without brackets) or lowercase DNS name. */
  host: string;
  /** Explicit or default port (3478; 5349 for turns, RFC 7065 §3). */
  port: number;
  /** TURN transport to the server; null for stun (RFC 7064 has no query). */
  transport: "udp" | "tcp" | null;
  /** Canonical form, port and transport made explicit. */
  href: string;
}

/** The result of {@linkcode parseIceServerUrl}. */
export type IceUrlResult = { ok: true; url: IceServerUrl } | { ok: false; error: string };

/** Longest URL accepted. */
export const MAX_ICE_URL_LENGTH = 256;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Parses and validates one ICE server URL. Never throws. */
export function parseIceServerUrl(input: string): IceUrlResult {
  const fail = (why: string): IceUrlResult => ({
    ok: false,
    error: `invalid ICE server URL ${JSON.stringify(clip(input))}: ${why}`,
  });
  if (typeof input !== "string" || input.length === 0) return fail("it is empty");
  if (input.length > MAX_ICE_URL_LENGTH) {
    return fail(`longer than ${MAX_ICE_URL_LENGTH} characters`);
  }
  if (hasSpaceOrControl(input)) return fail("it contains spaces or control characters");

  const colon = input.indexOf(":");
  const scheme = colon < 0 ? "" : input.slice(0, colon).toLowerCase();
  if (scheme === "stuns") return fail("stuns: is not supported; use stun:, turn: or turns:");
  if (scheme !== "stun" && scheme !== "turn" && scheme !== "turns") {
    return fail("it must start with stun:, turn: or turns: (RFC 7064, RFC 7065)");
  }
  let rest = input.slice(colon + 1);
  if (rest.startsWith("//")) return fail(`no "//" after "${scheme}:" (write ${scheme}:host:port)`);

  let query: string | null = null;
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (rest.includes("@")) {
    return fail("no user name or password in the URL (the server adds TURN credentials)");
  }
  if (/[/#]/.test(rest)) return fail("no path or fragment allowed after host[:port]");

  const hp = splitHostPort(rest);
  if ("error" in hp) return fail(hp.error);
  const port = hp.port ?? (scheme === "turns" ? 5349 : 3478);

  let transport: "udp" | "tcp" | null = null;
  if (scheme === "stun") {
    if (query !== null) return fail("stun: URLs take no ?query (RFC 7064 §3.1)");
  } else {
    if (query !== null) {
      const m = /^transport=(.*)$/i.exec(query);
      if (!m) return fail('the only query allowed is "?transport=udp" or "?transport=tcp"');
      const t = m[1].toLowerCase();
      if (t !== "udp" && t !== "tcp") return fail(`transport must be udp or tcp, got "${m[1]}"`);
      transport = t;
    } else {
      transport = scheme === "turns" ? "tcp" : "udp";
    }
    if (scheme === "turns" && transport === "udp") {
      return fail("turns: over udp (DTLS) is not supported by browsers; use ?transport=tcp");
    }
  }

  const hostText = hp.host.includes(":") ? `[${hp.host}]` : hp.host;
  const href = `${scheme}:${hostText}:${port}${transport ? `?transport=${transport}` : ""}`;
  return { ok: true, url: { scheme, host: hp.host, port, transport, href } };
}

/** `host:port` of a parsed URL as `--allow-net` takes it (IPv6 in brackets). */
export function iceServerHostPort(u: IceServerUrl): string {
  return u.host.includes(":") ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

/**
 * A zod schema for settings files and CLI options: a string that parses as
 * an ICE server URL, transformed into {@linkcode IceServerUrl}.
 */
export const IceServerUrlSchema = z.string().max(MAX_ICE_URL_LENGTH).transform((s, ctx) => {
  const r = parseIceServerUrl(s);
  if (r.ok) return r.url;
  ctx.addIssue({ code: "custom", message: r.error });
  return z.NEVER;
});

function splitHostPort(text: string): { host: string; port: number | null } | { error: string } {
  let host: string;
  let portText: string | null = null;
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) return { error: 'an IPv6 address needs a closing "]"' };
    host = text.slice(1, end).toLowerCase();
    const after = text.slice(end + 1);
    if (after !== "") {
      if (!after.startsWith(":")) return { error: `unexpected "${clip(after)}" after "]"` };
      portText = after.slice(1);
    }
    if (!isIpv6(host)) return { error: `"${clip(host)}" is not an IPv6 address` };
  } else {
    const parts = text.split(":");
    if (parts.length > 2) {
      return { error: "an IPv6 address must be written in brackets: [2001:db8::1]" };
    }
    host = parts[0].toLowerCase();
    if (parts.length === 2) portText = parts[1];
    if (host === "") return { error: "the host is missing" };
    if (/^[\d.]+$/.test(host) && !IPV4.test(host)) {
      return { error: `"${clip(host)}" is not a valid IPv4 address` };
    }
    if (!IPV4.test(host) && !isDnsName(host)) {
      return { error: `"${clip(host)}" is neither an IPv4 address nor a DNS name` };
    }
  }
  if (portText === null) return { host, port: null };
  if (!/^[1-9]\d{0,4}$/.test(portText) || Number(portText) > 65535) {
    return { error: `the port must be 1–65535, got "${clip(portText)}"` };
  }
  return { host, port: Number(portText) };
}

function isDnsName(host: string): boolean {
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  // A name whose last label is all digits would be read as a (bad) IPv4 address.
  if (/^\d+$/.test(labels[labels.length - 1])) return false;
  return labels.every((l) => LABEL.test(l));
}

function isIpv6(host: string): boolean {
  if (!/^[0-9a-f:.]+$/.test(host) || !host.includes(":")) return false;
  try {
    // The URL parser implements the full IPv6 grammar (:: compression, embedded IPv4).
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}

function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || /\s/.test(s[i])) return true;
  }
  return false;
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
