/**
 * The ICE server list one WHEP session gets: the operator's STUN URLs as
 * they are, and its TURN URLs with one fresh TURN REST credential
 * ({@linkcode mintTurnCredential}), in the two shapes vigil hands out: an
 * `RTCIceServer`-like list (viewer app, publisher `welcome`/offer) and
 * `Link: <…>; rel="ice-server"` header values for the WHEP 201 (RFC 9725
 * §4.6, "STUN/TURN Server Configuration"; RFC 8288 link parameters).
 *
 * @example
 * ```ts
 * const urls = ["stun:turn.example.com", "turn:turn.example.com?transport=udp"]
 *   .map((u) => parseIceServerUrl(u)).flatMap((r) => (r.ok ? [r.url] : []));
 * const s = await sessionIceServers(urls, { secret, ttlMs: 300_000 });
 * iceServerLinks(s.iceServers);
 * // ['<stun:turn.example.com:3478>; rel="ice-server"',
 * //  '<turn:turn.example.com:3478?transport=udp>; rel="ice-server"; username="…"; credential="…"; credential-type="password"']
 * ```
 * @module
 */
import type { IceServerUrl } from "../../lib/ice_urls.ts";
import { mintTurnCredential, type TurnCredential } from "./credentials.ts";

/** An ICE server as WebRTC's `RTCIceServer` takes it. */
export interface IceServerEntry {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What one session gets. */
export interface SessionIceServers {
  iceServers: IceServerEntry[];
  /** When the TURN credential stops working for new allocations; null without TURN URLs. */
  expiresAt: Date | null;
}

/**
 * STUN URLs in one entry without credentials, TURN/TURNS URLs in one entry
 * sharing a single new credential. Without a secret, TURN URLs are refused
 * (a TURN server in REST mode accepts nothing else).
 */
export async function sessionIceServers(
  urls: readonly IceServerUrl[],
  o: { secret: string | null; ttlMs: number; now?: number },
): Promise<SessionIceServers> {
  const stun = urls.filter((u) => u.scheme === "stun").map((u) => u.href);
  const turn = urls.filter((u) => u.scheme !== "stun").map((u) => u.href);
  const iceServers: IceServerEntry[] = [];
  if (stun.length) iceServers.push({ urls: stun });
  let cred: TurnCredential | null = null;
  if (turn.length) {
    if (!o.secret) throw new Error("TURN URLs are configured but no TURN secret");
    cred = await mintTurnCredential(o.secret, { ttlMs: o.ttlMs, now: o.now });
    iceServers.push({ urls: turn, username: cred.username, credential: cred.credential });
  }
  return { iceServers, expiresAt: cred?.expiresAt ?? null };
}

/** One `Link` header value per URL (RFC 9725 §4.6): credentials as quoted link parameters. */
export function iceServerLinks(iceServers: readonly IceServerEntry[]): string[] {
  return iceServers.flatMap((s) =>
    s.urls.map((url) => {
      const params = ['rel="ice-server"'];
      if (s.username !== undefined && s.credential !== undefined) {
        params.push(
          `username=${quoted(s.username)}`,
          `credential=${quoted(s.credential)}`,
          'credential-type="password"',
        );
      }
      return `<${url}>; ${params.join("; ")}`;
    })
  );
}

/** An RFC 9110 quoted-string. */
function quoted(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
