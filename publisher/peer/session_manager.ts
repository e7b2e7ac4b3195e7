/**
 * The publisher's viewer sessions: sessionId → peer, a per-camera viewer
 * limit, and the bookkeeping of who ended a session. Independent of werift:
 * peers come from a factory (see {@linkcode ViewerPeer}).
 *
 * @module
 */

/** What the manager needs of a peer. */
export interface ManagedPeer {
  /** The answer SDP. */
  readonly answerSdp: string;
  /** Adds trickled candidates (sdpfrag). */
  addRemoteCandidates(frag: string): Promise<number>;
  /** ICE restart: the viewer's sdpfrag in, the publisher's sdpfrag out. */
  restartIce(frag: string, iceServers?: OfferIceServer[]): Promise<string>;
  /** Closes the peer. Idempotent. */
  close(reason?: string): Promise<void>;
  /** Packets its viewer reported lost so far (RTCP), when the peer knows. */
  packetsLost?(): number;
}

/** Candidate types of a session's selected pair (`local`: the publisher's). */
export interface ConnectedPair {
  local: "host" | "srflx" | "prflx" | "relay";
  remote: "host" | "srflx" | "prflx" | "relay";
}

/**
 * Creates a peer for an offer; must call `onClose` once when the peer closes
 * by itself, and `onConnected` whenever its media (re)connected.
 */
export type PeerFactory = (
  offerSdp: string,
  onClose: (reason: string) => void,
  onConnected: (pair: ConnectedPair) => void,
  /** The offer's ICE servers (with this session's TURN credential), when the server sent them. */
  iceServers?: OfferIceServer[],
) => Promise<ManagedPeer>;

/** An ICE server of an offer. */
export interface OfferIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Options of {@linkcode SessionManager}. */
export interface SessionManagerOptions {
  /** Peer factory. */
  createPeer: PeerFactory;
  /** Most concurrent viewers (default 4). */
  maxViewers?: number;
  /** Called when a peer closed by itself (not via {@linkcode SessionManager.close}): tell the server. */
  onPeerClosed?: (sessionId: string, reason: string) => void;
  /** Called when a live session's media connected (again, after an ICE restart): tell the server. */
  onPeerConnected?: (sessionId: string, pair: ConnectedPair) => void;
}

/** The reply to an offer, as the device channel sends it. */
export type OfferResult =
  | { ok: true; sdp: string }
  | { ok: false; status: 400 | 429 | 503; message: string };

/** The reply to an ICE restart, as the device channel sends it. */
export type RestartResult =
  | { ok: true; sdpfrag: string }
  | { ok: false; status: 400 | 404 | 409; message: string };

/** Map of live viewer sessions with a viewer limit. */
export class SessionManager {
  readonly #opts: SessionManagerOptions;
  readonly #peers = new Map<string, ManagedPeer>();
  readonly #pending = new Set<string>();
  readonly #closing = new Set<string>();
  #shutdown = false;
  /** Loss reported by peers that are gone: the total never goes down. */
  #lostBefore = 0;

  constructor(opts: SessionManagerOptions) {
    this.#opts = opts;
  }

  /** Sessions live or being answered. */
  get size(): number {
    return this.#peers.size + this.#pending.size;
  }

  /** RTP packets viewers reported lost, since start, all peers (live and gone). */
  packetsLost(): number {
    let n = this.#lostBefore;
    for (const p of this.#peers.values()) n += p.packetsLost?.() ?? 0;
    return n;
  }

  /** Live peers (answered, not closed). */
  get viewers(): number {
    return this.#peers.size;
  }

  /** The viewer limit. */
  get maxViewers(): number {
    return this.#opts.maxViewers ?? 4;
  }

  /** True if `sessionId` is live. */
  has(sessionId: string): boolean {
    return this.#peers.has(sessionId);
  }

  /** Answers an offer, or says why not: 400 for a duplicate id or a bad offer, 503 when full or shutting down. */
  async offer(
    sessionId: string,
    sdp: string,
    iceServers?: OfferIceServer[],
  ): Promise<OfferResult> {
    if (this.#shutdown) return { ok: false, status: 503, message: "publisher shutting down" };
    if (this.#peers.has(sessionId) || this.#pending.has(sessionId)) {
      return { ok: false, status: 400, message: "duplicate session id" };
    }
    if (this.size >= this.maxViewers) {
      return {
        ok: false,
        status: 503,
        message: `camera busy: ${this.maxViewers} viewers maximum`,
      };
    }
    this.#pending.add(sessionId);
    let peer: ManagedPeer;
    try {
      peer = await this.#opts.createPeer(
        sdp,
        (reason) => this.#peerClosed(sessionId, reason),
        (pair) => this.#peerConnected(sessionId, pair),
        iceServers,
      );
    } catch (err) {
      this.#pending.delete(sessionId);
      const msg = err instanceof Error ? err.message : String(err);
      return { ok: false, status: 400, message: `cannot answer offer: ${msg}`.slice(0, 200) };
    }
    this.#pending.delete(sessionId);
    if (this.#shutdown || this.#closing.has(sessionId)) {
      this.#closing.delete(sessionId);
      await peer.close("closed during negotiation");
      return { ok: false, status: 503, message: "session closed during negotiation" };
    }
    this.#peers.set(sessionId, peer);
    return { ok: true, sdp: peer.answerSdp };
  }

  /** Adds trickled candidates to a live session; false if unknown. */
  async candidate(sessionId: string, frag: string): Promise<boolean> {
    const peer = this.#peers.get(sessionId);
    if (!peer) return false;
    await peer.addRemoteCandidates(frag);
    return true;
  }

  /**
   * Restarts ICE of a live session (WHEP ICE restart): 404 for an unknown
   * session, 400 for a fragment that cannot restart (no ufrag/pwd), 409 when
   * the session cannot restart now (one in progress, closing).
   */
  async restart(
    sessionId: string,
    frag: string,
    iceServers?: OfferIceServer[],
  ): Promise<RestartResult> {
    const peer = this.#peers.get(sessionId);
    if (!peer) return { ok: false, status: 404, message: "no such session" };
    try {
      return { ok: true, sdpfrag: await peer.restartIce(frag, iceServers) };
    } catch (err) {
      const msg = (err instanceof Error ? err.message : String(err)).slice(0, 200);
      const status = err instanceof Error && err.name === "RestartError" ? 400 : 409;
      return { ok: false, status, message: `cannot restart ICE: ${msg}`.slice(0, 200) };
    }
  }

  /** Closes a session at the server's request (no `onPeerClosed`). */
  async close(sessionId: string, reason = "closed by server"): Promise<void> {
    if (this.#pending.has(sessionId)) this.#closing.add(sessionId);
    const peer = this.#peers.get(sessionId);
    if (!peer) return;
    this.#forget(sessionId, peer);
    await peer.close(reason);
  }

  /** Closes everything and refuses new offers. */
  async closeAll(reason = "publisher shutting down"): Promise<void> {
    this.#shutdown = true;
    for (const id of this.#pending) this.#closing.add(id);
    const peers = [...this.#peers.values()];
    for (const [id, p] of this.#peers) this.#forget(id, p);
    await Promise.allSettled(peers.map((p) => p.close(reason)));
  }

  #peerConnected(sessionId: string, pair: ConnectedPair): void {
    // Only answered sessions: the server knows no other (media cannot connect before the answer).
    if (this.#peers.has(sessionId)) this.#opts.onPeerConnected?.(sessionId, pair);
  }

  #peerClosed(sessionId: string, reason: string): void {
    const peer = this.#peers.get(sessionId);
    if (!peer) return; // closed by us, or never registered
    this.#forget(sessionId, peer);
    this.#opts.onPeerClosed?.(sessionId, reason);
  }

  #forget(sessionId: string, peer: ManagedPeer): void {
    this.#lostBefore += peer.packetsLost?.() ?? 0;
    this.#peers.delete(sessionId);
  }
}
