/**
 * The ICE servers the server announced (its `welcome`), kept in the state
 * dir (`ice-servers.json`) so the launcher can grant `--allow-net` to
 * exactly those STUN/TURN `host:port`s and nothing else. The operator
 * configures TURN once, on the server: when its list changes, the publisher
 * stores the new one and exits with {@linkcode RELAUNCH_EXIT_CODE}, and
 * `deno task publish` starts it again with the new permissions.
 *
 * @example
 * ```ts
 * const urls = announcedUrls(welcome.iceServers); // ["turn:203.0.113.10:3478?transport=udp"]
 * iceServerNet(urls); // ["203.0.113.10:3478"]
 * ```
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { iceServerHostPort, parseIceServerUrl } from "../../lib/ice_urls.ts";
import { writePublicFile } from "../../pki/files.ts";

/** Exit code meaning "start me again: my permissions must change" (EX_TEMPFAIL). */
export const RELAUNCH_EXIT_CODE = 75;

/** The file in the state dir. */
export const ICE_SERVERS_FILE = "ice-servers.json";

const FileSchema = z.object({ urls: z.array(z.string().max(256)).max(32) }).strict();

/**
 * The valid, canonical URLs of `welcome.iceServers`, sorted and without
 * duplicates (so that order does not count as a change). Invalid ones are
 * dropped: the publisher never grants what it cannot parse.
 */
export function announcedUrls(servers: readonly { urls: string | string[] }[]): string[] {
  const out = new Set<string>();
  for (const s of servers) {
    for (const u of typeof s.urls === "string" ? [s.urls] : s.urls) {
      const r = parseIceServerUrl(u);
      if (r.ok) out.add(r.url.href);
    }
  }
  return [...out].sort();
}

/** `host:port` of each URL, as `--allow-net` takes them (no wildcard, no port range). */
export function iceServerNet(urls: readonly string[]): string[] {
  const out = new Set<string>();
  for (const u of urls) {
    const r = parseIceServerUrl(u);
    if (r.ok) out.add(iceServerHostPort(r.url));
  }
  return [...out];
}

/** Whether two URL lists (as {@linkcode announcedUrls} returns) differ. */
export function iceServersChanged(stored: readonly string[], announced: readonly string[]) {
  return stored.length !== announced.length || stored.some((u, i) => u !== announced[i]);
}

/** The stored URLs ([] when the file is missing or unusable). */
export async function loadIceServerUrls(stateDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(stateDir, ICE_SERVERS_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  try {
    const r = FileSchema.safeParse(JSON.parse(text));
    return r.success ? announcedUrls([{ urls: r.data.urls }]) : [];
  } catch {
    return [];
  }
}

/** Stores the URLs (atomically; no credentials are ever in them). */
export async function saveIceServerUrls(stateDir: string, urls: readonly string[]): Promise<void> {
  await writePublicFile(
    join(stateDir, ICE_SERVERS_FILE),
    JSON.stringify({ urls: [...urls] }, null, 2) + "\n",
  );
}
