/**
 * The server's ICE servers: the operator's `--ice-server` URLs (TURN ones
 * get a fresh TURN REST credential per call, draft-uberti-behave-turn-rest-00
 * §2.2) and the config file's fixed `iceServers`. One instance per server,
 * holding the shared secret; nothing here logs a credential.
 *
 * - {@linkcode IceService.forSession}: what one viewer or one publisher
 *   session gets (each side of a session its own credential).
 * - {@linkcode IceService.announced}: the URLs alone, for the publisher's
 *   `welcome` (its launcher grants `--allow-net` to exactly these servers).
 *
 * @example
 * ```ts
 * const ice = await IceService.load(settings);
 * const { iceServers, expiresAt } = await ice.forSession();
 * ```
 * @module
 */
import { join } from "node:path";
import { type IceServerUrl, parseIceServerUrl } from "../../lib/ice_urls.ts";
import { type IceServerEntry, type SessionIceServers, sessionIceServers } from "./ice_servers.ts";
import { publisherIceUrls, type ResolveIpv4 } from "./publisher_urls.ts";
import { ensureTurnSecret, readTurnSecret } from "./secret.ts";

/** The settings this reads (a subset of ServerSettings). */
export interface IceSettings {
  dataDir: string;
  iceServerUrls: readonly string[];
  turnSecretFile: string | null;
  turnTtlMs: number;
  iceServers: readonly IceServerEntry[];
}

/** The ICE servers of one server. */
export class IceService {
  readonly #urls: readonly IceServerUrl[];
  readonly #secret: string | null;
  readonly #ttlMs: number;
  readonly #fixed: readonly IceServerEntry[];

  constructor(o: {
    urls: readonly IceServerUrl[];
    secret: string | null;
    ttlMs: number;
    fixed?: readonly IceServerEntry[];
  }) {
    if (o.urls.some((u) => u.scheme !== "stun") && !o.secret) {
      throw new Error("turn: URLs need the TURN secret");
    }
    this.#urls = o.urls;
    this.#secret = o.secret;
    this.#ttlMs = o.ttlMs;
    this.#fixed = o.fixed ?? [];
  }

  /**
   * From settings: reads `--turn-secret-file`, or creates/reads
   * `<data-dir>/turn/secret` when a turn: URL is configured without one.
   */
  static async load(s: IceSettings): Promise<IceService> {
    const urls = s.iceServerUrls.map((u) => {
      const r = parseIceServerUrl(u);
      if (!r.ok) throw new Error(r.error); // the settings schema already refused it
      return r.url;
    });
    let secret: string | null = null;
    if (urls.some((u) => u.scheme !== "stun")) {
      secret = s.turnSecretFile
        ? await readTurnSecret(s.turnSecretFile)
        : await ensureTurnSecret(defaultTurnSecretPath(s.dataDir));
    }
    return new IceService({ urls, secret, ttlMs: s.turnTtlMs, fixed: s.iceServers });
  }

  /** Whether any ICE server is configured. */
  get configured(): boolean {
    return this.#urls.length > 0 || this.#fixed.length > 0;
  }

  /** A fresh list for one side of one session: new TURN credential, fixed entries after. */
  async forSession(now?: number): Promise<SessionIceServers> {
    const s = await sessionIceServers(this.#urls, {
      secret: this.#secret,
      ttlMs: this.#ttlMs,
      now,
    });
    return { iceServers: [...s.iceServers, ...this.#fixed.map(copy)], expiresAt: s.expiresAt };
  }

  /**
   * The same service with DNS names resolved to IPv4 literals, for
   * publishers (publisher_urls.ts: their grants name exact addresses).
   */
  async forPublishers(
    resolve: ResolveIpv4,
    onDrop?: (href: string, why: string) => void,
  ): Promise<IceService> {
    return new IceService({
      urls: await publisherIceUrls(this.#urls, resolve, onDrop),
      secret: this.#secret,
      ttlMs: this.#ttlMs,
      fixed: this.#fixed,
    });
  }

  /** Every configured URL, without credentials (the publisher's `welcome`). */
  announced(): IceServerEntry[] {
    const urls = [...this.#urls.map((u) => u.href), ...this.#fixed.flatMap((e) => e.urls)];
    return urls.length ? [{ urls }] : [];
  }
}

/** Where the secret lives when `--turn-secret-file` is not given. */
export function defaultTurnSecretPath(dataDir: string): string {
  return join(dataDir, "turn", "secret");
}

function copy(e: IceServerEntry): IceServerEntry {
  return { ...e, urls: [...e.urls] };
}
