/** The names the server certificate covers. @module */
import { hostname } from "node:os";
import type { ServerConfig } from "../config/settings.ts";

/** Names for the server certificate: configured ones plus local defaults. */
export function serverNames(config: ServerConfig) {
  const dns = new Set(["localhost", ...config.sanDns]);
  try {
    dns.add(hostname().toLowerCase());
  } catch {
    // no sys permission for the hostname: the configured names will do
  }
  const ips = new Set(["127.0.0.1", ...config.sanIp]);
  if (config.host !== "0.0.0.0" && config.host !== "::" && /^[\d.:]+$/.test(config.host)) {
    ips.add(config.host);
  }
  return { dnsNames: [...dns].filter((d) => /^[a-z0-9.-]+$/.test(d)), ipAddresses: [...ips] };
}
