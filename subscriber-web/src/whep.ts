/**
 * WHEP client (draft-ietf-wish-whep-03, WHIP RFC 9725's shared rules): a
 * recvonly video RTCPeerConnection, the offer POSTed at once (no waiting for
 * ICE gathering), local candidates trickled afterwards in batched
 * `application/trickle-ice-sdpfrag` PATCHes (RFC 8840) with `If-Match` the
 * ICE session's ETag, ending with `a=end-of-candidates`; ICE restart as a
 * PATCH with `If-Match: "*"` whose 200 carries the camera's new credentials
 * (same session, same DTLS); DELETE to leave.
 */

import { type ApiClient, ApiError, AuthLostError, errorFromResponse } from "./api.ts";

// ---------------------------------------------------------------------------
// Pure helpers (unit-tested)

export interface CandidateLike {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export interface LocalIceInfo {
  ufrag: string;
  pwd: string;
  /** Media sections in order: their mid and "m=" line. */
  media: { mid: string; mline: string }[];
}

/** Extracts ICE credentials and media sections from a local SDP. */
export function parseLocalIce(sdp: string): LocalIceInfo {
  let ufrag = "";
  let pwd = "";
  const media: { mid: string; mline: string }[] = [];
  let current: { mid: string; mline: string } | undefined;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("m=")) {
      current = { mid: String(media.length), mline: line };
      media.push(current);
    } else if (line.startsWith("a=mid:") && current) {
      current.mid = line.slice(6);
    } else if (line.startsWith("a=ice-ufrag:") && !ufrag) {
      ufrag = line.slice(12);
    } else if (line.startsWith("a=ice-pwd:") && !pwd) {
      pwd = line.slice(10);
    }
  }
  return { ufrag, pwd, media };
}

/**
 * Builds an `application/trickle-ice-sdpfrag` body (RFC 8840 / RFC 9725
 * §4.3.1): ICE credentials, then per media section its "m=" line, "a=mid",
 * the candidates, and `a=end-of-candidates` if gathering is complete.
 * Candidates from another ICE generation (a different ufrag) are dropped.
 */
export function buildSdpFrag(
  info: LocalIceInfo,
  candidates: readonly CandidateLike[],
  endOfCandidates: boolean,
): string {
  const byMid = new Map<string, string[]>();
  for (const c of candidates) {
    const text = c.candidate.trim();
    if (!text) continue;
    if (c.usernameFragment && info.ufrag && c.usernameFragment !== info.ufrag) continue;
    let mid = c.sdpMid ?? undefined;
    if (mid === undefined && typeof c.sdpMLineIndex === "number") {
      mid = info.media[c.sdpMLineIndex]?.mid;
    }
    mid ??= info.media[0]?.mid ?? "0";
    const line = text.startsWith("a=") ? text : `a=${text}`;
    const list = byMid.get(mid);
    if (list) list.push(line);
    else byMid.set(mid, [line]);
  }

  const lines: string[] = [];
  if (info.ufrag) lines.push(`a=ice-ufrag:${info.ufrag}`);
  if (info.pwd) lines.push(`a=ice-pwd:${info.pwd}`);
  const sections = info.media.length > 0
    ? info.media
    : [{ mid: "0", mline: "m=video 9 UDP/TLS/RTP/SAVPF 0" }];
  for (const m of sections) {
    const cands = byMid.get(m.mid) ?? [];
    if (cands.length === 0 && !endOfCandidates) continue;
    lines.push(m.mline, `a=mid:${m.mid}`, ...cands);
    if (endOfCandidates) lines.push("a=end-of-candidates");
  }
  return lines.join("\r\n") + "\r\n";
}

/**
 * The ICE restart request body (-03 section 4.4.3): the new credentials and
 * the offerer-tagged section (max-bundle: the only one that gathers), no
 * candidates yet (they trickle once the restart's ETag is known).
 */
export function buildRestartFrag(info: LocalIceInfo): string {
  const m = info.media[0] ?? { mid: "0", mline: "m=video 9 UDP/TLS/RTP/SAVPF 0" };
  return [`a=ice-ufrag:${info.ufrag}`, `a=ice-pwd:${info.pwd}`, m.mline, `a=mid:${m.mid}`, ""]
    .join("\r\n");
}

/**
 * The remote description after an ICE restart: `remoteSdp` (the camera's
 * answer) with the credentials of the 200 sdpfrag and its candidates in
 * place of the old ones (-03 section 4.4.3: the previous remote candidates
 * are discarded). The candidates go into the first media section: the bundle
 * transport. Throws when the fragment has no credentials.
 */
export function applyRestartAnswer(remoteSdp: string, frag: string): string {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(frag)?.[1];
  const pwd = /^a=ice-pwd:(\S+)/m.exec(frag)?.[1];
  if (!ufrag || !pwd) throw new Error("the ICE restart answer has no a=ice-ufrag/a=ice-pwd");
  const candidates = frag.split(/\r?\n/).filter((l) => l.startsWith("a=candidate:"));
  const out: string[] = [];
  let placed = false;
  let inMedia = false;
  for (const line of remoteSdp.split(/\r?\n/)) {
    if (line === "") continue;
    if (line.startsWith("a=candidate:") || line === "a=end-of-candidates") continue;
    if (line.startsWith("m=")) {
      if (inMedia && !placed) {
        out.push(...candidates, "a=end-of-candidates");
        placed = true;
      }
      inMedia = true;
    }
    if (line.startsWith("a=ice-ufrag:")) out.push(`a=ice-ufrag:${ufrag}`);
    else if (line.startsWith("a=ice-pwd:")) out.push(`a=ice-pwd:${pwd}`);
    else out.push(line);
  }
  if (inMedia && !placed) out.push(...candidates, "a=end-of-candidates");
  return out.join("\r\n") + "\r\n";
}

/**
 * Resolves the WHEP `Location` header against the request URL. Only a
 * same-origin location is accepted (the Bearer token is sent to it).
 * Returns the path (+ query) to use with the API client.
 */
export function resolveSessionPath(location: string | null, requestUrl: string): string {
  if (!location) throw new WhepError(502, "no_location", "The server did not create a session.");
  const base = new URL(requestUrl, globalThis.location?.href ?? "http://localhost/");
  const url = new URL(location, base);
  if (url.origin !== base.origin) {
    throw new WhepError(502, "bad_location", "The server sent a session URL on another origin.");
  }
  return url.pathname + url.search;
}

export interface StatusInfo {
  message: string;
  /** Worth retrying automatically (the camera may come back). */
  retryable: boolean;
}

/** Readable message for a WHEP HTTP status. */
export function describeWhepStatus(status: number, retryAfterMs: number | null = null): StatusInfo {
  const wait = retryAfterMs ? ` Retrying in ${Math.ceil(retryAfterMs / 1000)} s.` : "";
  switch (status) {
    case 0:
      return { message: "Cannot reach the server.", retryable: true };
    case 400:
    case 415:
    case 422:
      return { message: "The server could not use this browser's video offer.", retryable: false };
    case 401:
      return { message: "Your session has ended. Please sign in again.", retryable: false };
    case 403:
      return { message: "You are not allowed to view this camera.", retryable: false };
    case 404:
      return { message: "This camera does not exist.", retryable: false };
    case 409:
      return { message: "The camera is offline or not ready.", retryable: true };
    case 429:
      return { message: `Too many viewers or requests right now.${wait}`, retryable: true };
    case 503:
      return { message: `The camera is not available right now.${wait}`, retryable: true };
    case 504:
      return { message: "The camera did not answer in time.", retryable: true };
    default:
      if (status >= 500) return { message: `Server error (${status}).`, retryable: true };
      return { message: `Unexpected response (${status}).`, retryable: false };
  }
}

export class WhepError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly code: string,
    message?: string,
    readonly retryAfterMs: number | null = null,
    retryable?: boolean,
  ) {
    const info = describeWhepStatus(status, retryAfterMs);
    super(message ?? info.message);
    this.name = "WhepError";
    this.retryable = retryable ?? info.retryable;
  }
}

/**
 * The body of `GET /whep/:camera/ice-servers` (signaling/PROTOCOL.md) as
 * `RTCIceServer`s, or null when it is not that shape. Only stun:, turn: and
 * turns: URLs are kept.
 */
export function parseIceServers(body: unknown): RTCIceServer[] | null {
  const list = (body as { iceServers?: unknown } | null)?.iceServers;
  if (!Array.isArray(list) || list.length > 32) return null;
  const out: RTCIceServer[] = [];
  for (const e of list) {
    if (typeof e !== "object" || e === null) return null;
    const { urls, username, credential } = e as Record<string, unknown>;
    const all = typeof urls === "string" ? [urls] : urls;
    if (!Array.isArray(all) || all.length === 0) return null;
    if (!all.every((u) => typeof u === "string" && /^(stun|turns?):\S{1,256}$/.test(u))) {
      return null;
    }
    if (username !== undefined && typeof username !== "string") return null;
    if (credential !== undefined && typeof credential !== "string") return null;
    out.push({
      urls: all as string[],
      ...(username !== undefined ? { username } : {}),
      ...(credential !== undefined ? { credential } : {}),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------

export type WhepApi = Pick<ApiClient, "fetch" | "url" | "authorization">;

export interface WhepOptions {
  api: WhepApi;
  camera: string;
  /** RTCPeerConnection factory (tests inject a fake). */
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
  rtcConfiguration?: RTCConfiguration;
  /**
   * Fetch the server's ICE servers (`GET /whep/:camera/ice-servers`, fresh
   * TURN credentials) before the offer and before each ICE restart.
   */
  fetchIceServers?: boolean;
  /** Candidates arriving within this window go into one PATCH. */
  batchMs?: number;
  /** Abort the offer POST after this long. */
  offerTimeoutMs?: number;
  now?: () => number;
  /** Non-fatal problems (a failed PATCH); for diagnostics. */
  onWarning?: (message: string) => void;
}

export class WhepSession {
  readonly pc: RTCPeerConnection;
  readonly camera: string;
  readonly #api: WhepApi;
  readonly #batchMs: number;
  readonly #offerTimeoutMs: number;
  readonly #now: () => number;
  readonly #onWarning: (message: string) => void;
  readonly #abort = new AbortController();
  readonly #fetchIceServers: boolean;

  #sessionPath: string | null = null;
  #etag: string | null = null;
  #ice: LocalIceInfo | null = null;
  #queue: CandidateLike[] = [];
  #gatheringDone = false;
  #endSent = false;
  #trickleSupported = true;
  #patching = false;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** An ICE restart is under way: candidates wait for its ETag. */
  #restarting = false;
  #iceRestarts = 0;
  #closed = false;
  #offerSentAt: number | null = null;

  constructor(options: WhepOptions) {
    this.#api = options.api;
    this.camera = options.camera;
    this.#batchMs = options.batchMs ?? 25;
    this.#offerTimeoutMs = options.offerTimeoutMs ?? 15_000;
    this.#now = options.now ?? (() => performance.now());
    this.#onWarning = options.onWarning ?? (() => {});
    this.#fetchIceServers = options.fetchIceServers ?? false;
    const create = options.createPeerConnection ?? ((c) => new RTCPeerConnection(c));
    // No STUN/TURN by default: the viewer reaches the camera's host
    // candidates (or is seen peer-reflexive); nothing leaks to third parties.
    this.pc = create(options.rtcConfiguration ?? { iceServers: [], bundlePolicy: "max-bundle" });
    this.pc.addTransceiver("video", { direction: "recvonly" });
    this.pc.addEventListener("icecandidate", (ev) => this.#onCandidate(ev));
  }

  /** Same-origin path of the WHEP session resource, once created. */
  get sessionUrl(): string | null {
    return this.#sessionPath;
  }

  /** Monotonic time (ms) at which the offer was sent. */
  get offerSentAt(): number | null {
    return this.#offerSentAt;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** ICE restarts done in this session. */
  get iceRestarts(): number {
    return this.#iceRestarts;
  }

  /** Creates and POSTs the offer, then applies the answer. */
  async connect(): Promise<void> {
    await this.#applyIceServers();
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const local = this.pc.localDescription?.sdp ?? offer.sdp ?? "";
    this.#ice = parseLocalIce(local);
    this.#throwIfClosed();

    const path = `/whep/${encodeURIComponent(this.camera)}`;
    const timeout = setTimeout(
      () => this.#abort.abort(new DOMException("timeout", "TimeoutError")),
      this.#offerTimeoutMs,
    );
    let res: Response;
    try {
      this.#offerSentAt = this.#now();
      res = await this.#api.fetch(path, {
        method: "POST",
        headers: { "content-type": "application/sdp", accept: "application/sdp" },
        body: local,
        signal: this.#abort.signal,
      });
    } catch (e) {
      if (e instanceof AuthLostError) throw new WhepError(401, "auth", e.message, null, false);
      if (this.#closed) throw new WhepError(0, "closed", "Closed.", null, false);
      if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
        throw new WhepError(504, "timeout", "The camera did not answer in time.");
      }
      if (e instanceof ApiError) throw new WhepError(e.status, e.code, e.message);
      throw new WhepError(0, "network");
    } finally {
      clearTimeout(timeout);
    }

    if (res.status !== 201 && res.status !== 200) {
      const err = await errorFromResponse(res);
      throw new WhepError(res.status, err.code, undefined, err.retryAfterMs);
    }
    // The session exists on the server from here on: close() must DELETE it.
    this.#sessionPath = resolveSessionPath(res.headers.get("location"), this.#api.url(path));
    this.#etag = res.headers.get("etag");
    const answer = await res.text();
    if (this.#closed) {
      this.#deleteSession();
      throw new WhepError(0, "closed", "Closed.", null, false);
    }
    try {
      await this.pc.setRemoteDescription({ type: "answer", sdp: answer });
    } catch (e) {
      throw new WhepError(502, "bad_answer", `The camera's answer was not usable: ${errorText(e)}`);
    }
    this.#flush();
  }

  /**
   * ICE restart in this session (-03 section 4.4.3): new local credentials,
   * PATCHed with `If-Match: "*"`; the 200's credentials and candidates
   * replace the camera's old ones and its ETag is the new ICE session's.
   * Media goes on over the new path with the same DTLS association. Throws
   * a {@linkcode WhepError} when the camera refuses (the caller then opens a
   * new session).
   */
  async restartIce(): Promise<void> {
    this.#throwIfClosed();
    const path = this.#sessionPath;
    if (!path || !this.pc.remoteDescription) {
      throw new WhepError(409, "not_ready", "No session to restart yet.", null, false);
    }
    if (this.#restarting) throw new WhepError(409, "restarting", "An ICE restart is under way.");
    this.#restarting = true;
    try {
      // Candidates of the old ICE generation are useless now.
      this.#queue = [];
      this.#gatheringDone = false;
      this.#endSent = false;
      // The first credentials may have expired: new ones for the new allocations.
      await this.#applyIceServers();
      this.pc.restartIce();
      await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
      this.#ice = parseLocalIce(this.pc.localDescription?.sdp ?? "");
      this.#throwIfClosed();
      let res: Response;
      try {
        res = await this.#api.fetch(path, {
          method: "PATCH",
          headers: { "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" },
          body: buildRestartFrag(this.#ice),
          signal: this.#abort.signal,
        });
      } catch (e) {
        if (e instanceof AuthLostError) throw new WhepError(401, "auth", e.message, null, false);
        throw new WhepError(0, "network");
      }
      if (res.status !== 200) {
        const err = await errorFromResponse(res);
        throw new WhepError(res.status, err.code, undefined, err.retryAfterMs);
      }
      const etag = res.headers.get("etag");
      const frag = await res.text();
      this.#throwIfClosed();
      const remote = this.pc.remoteDescription?.sdp ?? "";
      try {
        await this.pc.setRemoteDescription({
          type: "answer",
          sdp: applyRestartAnswer(remote, frag),
        });
      } catch (e) {
        throw new WhepError(502, "bad_restart", `The camera's restart answer: ${errorText(e)}`);
      }
      this.#etag = etag;
      this.#iceRestarts++;
    } finally {
      this.#restarting = false;
    }
    this.#flush();
  }

  /**
   * Puts the server's ICE servers into the peer connection's configuration
   * (before gathering starts). Without them (an error, an old server) the
   * session goes on with what it has: direct paths still work.
   */
  async #applyIceServers(): Promise<void> {
    if (!this.#fetchIceServers) return;
    let servers: RTCIceServer[] | null = null;
    try {
      const res = await this.#api.fetch(
        `/whep/${encodeURIComponent(this.camera)}/ice-servers`,
        { headers: { accept: "application/json" }, signal: this.#abort.signal },
      );
      if (res.ok) servers = parseIceServers(await res.json());
      else await res.body?.cancel();
      if (!servers) this.#onWarning(`no ICE servers from the server (${res.status})`);
    } catch (e) {
      if (e instanceof AuthLostError) throw new WhepError(401, "auth", e.message, null, false);
      this.#onWarning(`ICE servers: ${errorText(e)}`);
    }
    this.#throwIfClosed();
    if (servers) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: servers });
  }

  /** Leaves: DELETE the session and close the peer connection. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#flushTimer);
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    return this.#deleteSession();
  }

  /**
   * Synchronous variant for `pagehide`: a keepalive DELETE that survives the
   * page being unloaded (it cannot wait for a token refresh).
   */
  closeOnUnload(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#flushTimer);
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    const auth = this.#api.authorization();
    if (!this.#sessionPath || !auth) return;
    try {
      fetch(this.#api.url(this.#sessionPath), {
        method: "DELETE",
        keepalive: true,
        credentials: "same-origin",
        headers: { authorization: auth },
      }).catch(() => {});
    } catch {
      // keepalive quota exceeded: the server will time the session out
    }
    this.#sessionPath = null;
  }

  // -------------------------------------------------------------------------

  #throwIfClosed(): void {
    if (this.#closed) throw new WhepError(0, "closed", "Closed.", null, false);
  }

  #deleteSession(): Promise<void> {
    const path = this.#sessionPath;
    this.#sessionPath = null;
    if (!path) return Promise.resolve();
    return this.#api.fetch(path, { method: "DELETE" })
      .then((res) => res.body?.cancel())
      .catch(() => {});
  }

  #onCandidate(ev: RTCPeerConnectionIceEvent): void {
    if (this.#closed) return;
    const c = ev.candidate;
    if (!c || c.candidate === "") {
      this.#gatheringDone = true;
    } else {
      this.#queue.push({
        candidate: c.candidate,
        sdpMid: c.sdpMid,
        sdpMLineIndex: c.sdpMLineIndex,
        usernameFragment: c.usernameFragment,
      });
    }
    if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined;
        this.#flush();
      }, this.#gatheringDone ? 0 : this.#batchMs);
    }
  }

  /** Sends queued candidates in one PATCH (one request in flight at a time). */
  #flush(): void {
    if (this.#closed || !this.#sessionPath || !this.#ice || this.#patching) return;
    if (this.#restarting) return; // until the restart's ETag (-03 section 4.4.2)
    if (!this.#trickleSupported || this.#endSent) return;
    const end = this.#gatheringDone;
    if (this.#queue.length === 0 && !end) return;
    const batch = this.#queue;
    this.#queue = [];
    const body = buildSdpFrag(this.#ice, batch, end);
    if (end) this.#endSent = true;
    this.#patching = true;
    const headers: Record<string, string> = { "content-type": "application/trickle-ice-sdpfrag" };
    if (this.#etag) headers["if-match"] = this.#etag;
    this.#api.fetch(this.#sessionPath, {
      method: "PATCH",
      headers,
      body,
      signal: this.#abort.signal,
    })
      .then(async (res) => {
        await res.body?.cancel();
        if (res.status === 405 || res.status === 501) {
          this.#trickleSupported = false; // server does not do trickle: fine
        } else if (!res.ok) {
          this.#onWarning(`Candidate PATCH failed: HTTP ${res.status}`);
        }
      })
      .catch((e) => {
        if (!this.#closed) this.#onWarning(`Candidate PATCH failed: ${errorText(e)}`);
      })
      .finally(() => {
        this.#patching = false;
        if (this.#queue.length > 0 || (this.#gatheringDone && !this.#endSent)) this.#flush();
      });
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
