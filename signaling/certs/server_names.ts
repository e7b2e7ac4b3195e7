/** The names the server certificate covers. @module */
import { hostname } from "node:os";
import type { ServerSettings } from "../config/settings.ts";

const IP = /^[\d.:]+$/;

/**
 * Names for the server certificate: the configured ones (`san`) plus
 * localhost, 127.0.0.1, the host name and a literal listen address.
 *
 * @example
 * ```ts
 * serverNames({ san: ["cams.lan", "192.0.2.7"], host: "0.0.0.0" });
 * // { dnsNames: ["localhost", "cams.lan", <hostname>], ipAddresses: ["127.0.0.1", "192.0.2.7"] }
 * ```
 */
export function serverNames(s: Pick<ServerSettings, "san" | "host">) {
  const dns = new Set(["localhost", ...s.san.filter((n) => !IP.test(n))]);
  try {
    dns.add(hostname().toLowerCase());
  } catch {
    // no sys permission for the hostname: the configured names will do
  }
  const ips = new Set(["127.0.0.1", ...s.san.filter((n) => IP.test(n))]);
  if (s.host !== "0.0.0.0" && s.host !== "::" && IP.test(s.host)) ips.add(s.host);
  return { dnsNames: [...dns].filter((d) => /^[a-z0-9.-]+$/.test(d)), ipAddresses: [...ips] };
}
