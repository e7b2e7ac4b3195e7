/**
 * One werift peer per viewer: answers a WHEP (recvonly) offer with a sendonly
 * H.264 track fed from the {@linkcode FanoutHub}, non-trickle (the answer
 * carries every local candidate).
 *
 * Safety rules, from what werift 0.25.2 does (see also ARCHITECTURE.md):
 * `iceServers` is always explicit (werift's default is a public STUN
 * server); remote candidates that are not IP literals (mDNS `.local`) are
 * dropped before werift sees them (one would make it bind 0.0.0.0:5353, which
 * the publisher may not, and the process would die); media starts only once
 * connected (GOP replay, paced); the peer closes at once when ICE/DTLS closes
 * or fails (a closed viewer shows as DTLS "closed" at once but ICE "failed"
 * only 30–50 s later), and when nothing was delivered within `noMediaTimeoutMs`.
 *
 * @module
 */

import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
} from "werift";
import type { AccessUnit } from "../media/access_unit.ts";
import type { FanoutHub, Subscription } from "../media/fanout.ts";
import { paceReplay } from "../media/replay_pacer.ts";
import { RtpPayloadCache } from "./rtp_payload_cache.ts";
import { type DirectPath, startDirectPath } from "./werift_direct.ts";
import { guardDtls } from "./dtls_guard.ts";
import { answerDtlsRole, parseSdpFrag, stripUnusableCandidates } from "./sdp.ts";
import { composeAnswer, type OfferPlan, planOffer } from "./offer_plan.ts";
import { parseRestartFrag, restartAnswerFrag, restartOffer } from "./ice_restart.ts";
import { installTurnNonceFix } from "./turn_nonce_fix.ts";
import { installReceiveBufferCap } from "./receive_buffer_cap.ts";
import { acceptRemoteCandidate, type CandidatePolicy } from "./candidate_policy.ts";

// werift's TURN client drops 438 Stale Nonce and its relay dies at the next refresh: patch it
// once, before any peer connection exists (turn_nonce_fix.ts; proven in tests/nat/).
if (!installTurnNonceFix()) {
  console.warn("werift changed: the TURN stale-nonce fix is not installed (relays may drop)");
}
// Deno reads each datagram into a new 64 KiB buffer; 4 KiB ones (receive_buffer_cap.ts).
if (!installReceiveBufferCap()) {
  console.warn("werift changed: ICE sockets keep 64 KiB receive buffers");
}

/** Payloads shared by all viewers of this process (keyed by access unit, see the module). */
const sharedPayloads = new RtpPayloadCache();

/** An ICE server as given by the server's `welcome` message. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Local addresses werift binds its UDP sockets to (werift `iceInterfaceAddresses`). */
export interface InterfaceAddresses {
  udp4?: string;
  udp6?: string;
}

/** Options of {@linkcode ViewerPeer.answer}. */
export interface ViewerPeerOptions {
  /** Source of access units. */
  hub: FanoutHub;
  /** ICE servers from the server's `welcome`; `[]` for none. Never defaulted. */
  iceServers: IceServer[];
  /** Bind ICE sockets to these local addresses. */
  interfaceAddresses?: InterfaceAddresses;
  /**
   * Which remote candidates may be used (candidate_policy.ts): the viewer
   * networks and the TURN servers. Required: nothing else is ever sent to.
   */
  remoteCandidates: CandidatePolicy;
  /** Extra host candidates (e.g. loopback for tests). */
  additionalHostAddresses?: string[];
  /** Local UDP port range for ICE. */
  icePortRange?: [number, number];
  /** Use IPv6 (default false: one family keeps --allow-net small). */
  useIpv6?: boolean;
  /** Close when still not connected after this long (default 20 s). */
  connectTimeoutMs?: number;
  /** Close when connected but no unit was delivered within this long (default 2 s). */
  noMediaTimeoutMs?: number;
  /**
   * Close when the viewer sent no RTCP for this long once connected (default
   * 10 s; browsers report about every second). Catches viewers that vanish
   * without a DTLS close_notify long before ICE consent fails (30–50 s).
   */
  rtcpTimeoutMs?: number;
  /** Give up waiting for ICE gathering after this long (default 5 s). */
  gatherTimeoutMs?: number;
  /** Where RTP payloads come from (default: one cache shared by every peer of the process). */
  payloads?: RtpPayloadCache;
  /**
   * Preferred DTLS role when the offer says actpass (default "server", answering
   * a=setup:passive: the viewer starts the handshake once its ICE check succeeds;
   * "client" is werift's own default, kept for the benchmark's before/after). An
   * offer that chose a role gets the other one.
   */
  dtlsRole?: "server" | "client";
  /**
   * How RTP leaves the process (default "direct"): "direct" protects and writes
   * it to the ICE pair's socket itself (publisher/peer/werift_direct.ts), falling
   * back to werift when that path cannot start (the reason is in
   * {@linkcode ViewerPeerStats.sendPathNote}); "werift" hands every packet to
   * werift's RTCRtpSender (the path before, kept for the benchmark's comparison).
   */
  sendPath?: SendPath;
  /** Replay pacing rate (default that of {@linkcode paceReplay}). */
  replayBitsPerSecond?: number;
  /** Called once when the peer closed, with the reason. */
  onClose?: (reason: string) => void;
  /**
   * Called when ICE and DTLS connected, and again when ICE reconnected after
   * a restart, with the selected pair's candidate types (no addresses).
   */
  onConnected?: (pair: SelectedPair) => void;
}

/** Candidate types of a selected pair: `local` the publisher's, `remote` the viewer's. */
export interface SelectedPair {
  local: CandidateType;
  remote: CandidateType;
}

/** ICE candidate types (RFC 8445 section 5.1.1). */
export type CandidateType = "host" | "srflx" | "prflx" | "relay";

const CANDIDATE_TYPES = new Set<string>(["host", "srflx", "prflx", "relay"]);

/** How a viewer's RTP is sent; see {@linkcode ViewerPeerOptions.sendPath}. */
export type SendPath = "werift" | "direct";

/** Counters of one viewer peer. */
export interface ViewerPeerStats {
  /** RTP packets sent (retransmissions not included). */
  packets: number;
  /** The send path in use once media started. */
  sendPath?: SendPath;
  /** Why the direct path was not used, when it was asked for. */
  sendPathNote?: string;
  /** Packets resent after a NACK (by either path). */
  retransmitted: number;
  /** Access units sent. */
  accessUnits: number;
  /** PLI/FIR received. */
  keyframeRequests: number;
  /** Trickled remote candidates dropped (mDNS, names). */
  skippedCandidates: number;
  /** Packets the viewer reports lost (cumulative, RTCP receiver report, RFC 3550 section 6.4.1). */
  packetsLost: number;
}

/** The H.264 codec the publisher sends: Constrained Baseline, packetization-mode 1. */
export function h264Codec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: "video/H264",
    clockRate: 90_000,
    rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
    parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  });
}

/** One viewer's peer connection. Create it with {@linkcode ViewerPeer.answer}. */
export class ViewerPeer {
  /** The answer SDP (with all local candidates). */
  readonly answerSdp: string;
  /** Resolves with the close reason. */
  readonly closed: Promise<string>;
  readonly #pc: RTCPeerConnection;
  readonly #opts: ViewerPeerOptions;
  readonly #track: MediaStreamTrack;
  readonly #stats: ViewerPeerStats = {
    packets: 0,
    retransmitted: 0,
    accessUnits: 0,
    keyframeRequests: 0,
    skippedCandidates: 0,
    packetsLost: 0,
  };
  #sub: Subscription | undefined;
  #timers: ReturnType<typeof setTimeout>[] = [];
  #closeReason: string | undefined;
  #lastRtcp = 0;
  #resolveClosed!: (reason: string) => void;
  #disposers: (() => void)[] = [];
  #direct: DirectPath | undefined;
  readonly #plan: OfferPlan;
  /** The remote description werift has now (updated by ICE restarts). */
  #weriftOffer: string;
  #restarting = false;
  /** ICE restarts done; and the last one whose connected pair was reported (-1: none yet). */
  #restarts = 0;
  #reported = -1;

  private constructor(
    pc: RTCPeerConnection,
    track: MediaStreamTrack,
    plan: OfferPlan,
    opts: ViewerPeerOptions,
  ) {
    this.#pc = pc;
    this.#track = track;
    this.#plan = plan;
    this.#weriftOffer = plan.weriftOffer;
    this.#opts = opts;
    this.answerSdp = "";
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  /**
   * Answers `offerSdp` (recvonly or sendrecv video; other sections are answered
   * inactive or rejected, see offer_plan.ts: werift only sees the video).
   * Rejects (and releases everything) when the offer cannot be answered.
   */
  static async answer(offerSdp: string, opts: ViewerPeerOptions): Promise<ViewerPeer> {
    const accept = (line: string) => acceptRemoteCandidate(line, opts.remoteCandidates);
    // throws before werift is involved
    const plan = planOffer(stripUnusableCandidates(offerSdp, accept));
    const pc = new RTCPeerConnection({
      iceServers: opts.iceServers, // explicit: werift's default is a public STUN server
      iceInterfaceAddresses: opts.interfaceAddresses,
      iceAdditionalHostAddresses: opts.additionalHostAddresses,
      icePortRange: opts.icePortRange,
      iceUseIpv4: true,
      iceUseIpv6: opts.useIpv6 ?? false,
      iceUseTcp: false,
      bundlePolicy: "max-bundle",
      codecs: { video: [h264Codec()], audio: [] },
    });
    const track = new MediaStreamTrack({ kind: "video" });
    const peer = new ViewerPeer(pc, track, plan, opts);
    try {
      const tx = pc.addTransceiver(track, { direction: "sendonly" });
      const rtcp = tx.sender.onRtcp.subscribe((packet) => {
        peer.#lastRtcp = performance.now();
        // RR (201) or SR (200) report blocks: the viewer's cumulative loss of our stream.
        const reports = (packet as { reports?: { packetsLost?: number }[] }).reports;
        for (const r of reports ?? []) {
          if (typeof r.packetsLost === "number") {
            peer.#stats.packetsLost = Math.max(0, r.packetsLost);
          }
        }
      });
      peer.#disposers.push(() => rtcp.unSubscribe());
      const pli = tx.sender.onPictureLossIndication.subscribe(() => {
        peer.#stats.keyframeRequests++;
        peer.#sub?.requestKeyframe();
      });
      peer.#disposers.push(() => pli.unSubscribe());
      peer.#watchState();
      await pc.setRemoteDescription({ type: "offer", sdp: plan.weriftOffer });
      // Answer a=setup:passive: the viewer starts DTLS the moment its own ICE check
      // succeeds. As the client (werift's default, a=setup:active) werift's ClientHello
      // raced Chromium's ICE and the handshake finished ~100 ms later on loopback.
      const role = answerDtlsRole(offerSdp, opts.dtlsRole ?? "server");
      for (const t of pc.getTransceivers()) if (t.dtlsTransport) t.dtlsTransport.role = role;
      peer.#watchDtls();
      // Early ClientHellos and retransmitted flights (dtls_guard.ts).
      for (const dtls of new Set(pc.getTransceivers().map((t) => t.dtlsTransport))) {
        if (dtls) peer.#disposers.push(guardDtls(dtls));
      }
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForGathering(pc, opts.gatherTimeoutMs ?? 5_000);
      const sdp = pc.localDescription?.sdp;
      if (!sdp) throw new Error("no local description");
      (peer as { answerSdp: string }).answerSdp = composeAnswer(plan, sdp);
      peer.#timers.push(setTimeout(() => {
        if (pc.connectionState !== "connected") peer.close("ice connect timeout");
      }, opts.connectTimeoutMs ?? 20_000));
      return peer;
    } catch (err) {
      await peer.close("answer failed");
      throw err;
    }
  }

  /** Packets this viewer reported lost so far (the session manager's total for `/metrics`). */
  packetsLost(): number {
    return this.#stats.packetsLost;
  }

  /** A snapshot of the counters. */
  get stats(): ViewerPeerStats {
    // werift keeps its NACK counter private in its types (a plain field in 0.25.2).
    const werift = this.#pc.getTransceivers()[0]?.sender as unknown as {
      retransmittedPacketsSent?: number;
    };
    const retransmitted = this.#direct
      ? this.#direct.sender.stats.retransmitted
      : werift?.retransmittedPacketsSent ?? 0;
    return { ...this.#stats, retransmitted };
  }

  /** werift's aggregate connection state. */
  get connectionState(): string {
    return this.#pc.connectionState;
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#closeReason !== undefined;
  }

  /**
   * Adds trickled remote candidates (an sdpfrag or bare candidate lines);
   * mDNS and host-name candidates are skipped, and so are candidates of a
   * section that does not share the video's transport (werift has only that
   * one). Returns how many were added.
   */
  async addRemoteCandidates(frag: string): Promise<number> {
    if (this.isClosed) return 0;
    const parsed = parseSdpFrag(
      frag,
      (line) => acceptRemoteCandidate(line, this.#opts.remoteCandidates),
    );
    this.#stats.skippedCandidates += parsed.skipped;
    let added = 0;
    const plan = this.#plan;
    const offeredMid = plan.offer.media[plan.video].mid;
    const mid = this.#pc.getTransceivers()[0]?.mid ?? offeredMid ?? "0";
    for (const c of parsed.candidates) {
      const sameTransport = c.sdpMid === undefined || c.sdpMid === offeredMid ||
        plan.bundle.includes(c.sdpMid);
      if (!sameTransport) {
        this.#stats.skippedCandidates++;
        continue;
      }
      try {
        await this.#pc.addIceCandidate({
          candidate: c.candidate,
          sdpMid: mid,
          ...(c.usernameFragment ? { usernameFragment: c.usernameFragment } : {}),
        });
        added++;
      } catch {
        this.#stats.skippedCandidates++;
      }
    }
    return added;
  }

  /**
   * ICE restart (WHEP, as WHIP RFC 9725 section 4.3.3): takes the viewer's
   * sdpfrag with a new ufrag/pwd (and candidates), restarts werift's ICE
   * agent on the same peer connection (the DTLS association and SRTP keys
   * stay: the new pair carries the same session) and returns the answer
   * sdpfrag with the publisher's new ufrag/pwd and all its candidates.
   * Media resumes once the new pair is nominated; no new session.
   * Throws {@linkcode RestartError} for an unusable fragment.
   */
  async restartIce(frag: string, iceServers?: IceServer[]): Promise<string> {
    if (this.isClosed) throw new Error("the session is closed");
    if (this.#restarting) throw new Error("an ICE restart is already in progress");
    const request = parseRestartFrag(
      frag,
      (line) => acceptRemoteCandidate(line, this.#opts.remoteCandidates),
    );
    this.#restarting = true;
    try {
      const pc = this.#pc;
      const offer = restartOffer(this.#weriftOffer, request);
      // A new remote ufrag/pwd makes werift restart its agent (new local ufrag/pwd).
      await pc.setRemoteDescription({ type: "offer", sdp: offer });
      // The offer's TURN credential may have expired: whatever the restarted gatherer
      // (state "new" again) allocates uses the restart's own. (werift 0.25.2 also keeps
      // its live relay across a restart; tests/nat/viewer_test.ts breaks a relayed path.)
      if (iceServers) pc.setConfiguration({ iceServers });
      await pc.setLocalDescription(await pc.createAnswer());
      await waitForGathering(pc, this.#opts.gatherTimeoutMs ?? 5_000);
      this.#weriftOffer = offer;
      this.#restarts++;
      // werift's connect() skips a transport whose DTLS is connected, so the
      // restarted agent would never run its checks: start it here.
      for (const dtls of new Set(pc.getTransceivers().map((t) => t.dtlsTransport))) {
        const ice = dtls?.iceTransport;
        // After gathering werift's agent says "completed" (gathered), not "checking".
        if (ice && (ice.state === "new" || ice.state === "completed")) {
          ice.start().catch(() => this.close("ice restart failed"));
        }
      }
      const answer = pc.localDescription?.sdp;
      if (!answer) throw new Error("no local description after the restart");
      return restartAnswerFrag(this.#plan, answer);
    } finally {
      this.#restarting = false;
    }
  }

  /** Closes the peer and stops media. Idempotent. */
  async close(reason = "closed"): Promise<void> {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    for (const d of this.#disposers) d();
    this.#disposers = [];
    try {
      await this.#pc.close();
    } catch {
      // already closing
    }
    this.#resolveClosed(reason);
    this.#opts.onClose?.(reason);
  }

  #watchState(): void {
    const pc = this.#pc;
    let disconnectTimer: ReturnType<typeof setTimeout> | undefined;
    const a = pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") {
        if (disconnectTimer !== undefined) clearTimeout(disconnectTimer);
        disconnectTimer = undefined;
        this.#startMedia();
        this.#reportPair();
      } else if (state === "failed" || state === "closed") {
        this.close(`connection ${state}`);
      }
    });
    const b = pc.iceConnectionStateChange.subscribe((state) => {
      if (state === "connected" || state === "completed") {
        // e.g. after an ICE restart: the aggregate connection state may not change
        if (disconnectTimer !== undefined) clearTimeout(disconnectTimer);
        disconnectTimer = undefined;
        if (pc.connectionState === "connected") this.#reportPair();
      } else if (state === "failed" || state === "closed") this.close(`ice ${state}`);
      else if (state === "disconnected" && disconnectTimer === undefined) {
        disconnectTimer = setTimeout(() => this.close("ice disconnected"), 5_000);
        this.#timers.push(disconnectTimer);
      }
    });
    this.#disposers.push(() => a.unSubscribe(), () => b.unSubscribe());
  }

  /** Reports the selected pair once per ICE session (the first, then each restart's). */
  #reportPair(): void {
    if (this.#reported === this.#restarts || this.isClosed || !this.#opts.onConnected) return;
    const ice = this.#pc.getTransceivers()[0]?.dtlsTransport?.iceTransport.connection;
    const pair = ice?.nominated ?? ice?.candidatePairs.find((p) => p.nominated);
    const local = pair?.localCandidate.type;
    const remote = pair?.remoteCandidate.type;
    if (!local || !remote || !CANDIDATE_TYPES.has(local) || !CANDIDATE_TYPES.has(remote)) return;
    this.#reported = this.#restarts;
    this.#opts.onConnected({ local: local as CandidateType, remote: remote as CandidateType });
  }

  /** A closed viewer shows as DTLS "closed" at once, "failed" only 30–50 s later. */
  #watchDtls(): void {
    const seen = new Set<unknown>();
    for (const t of this.#pc.getTransceivers()) {
      const dtls = t.dtlsTransport;
      if (!dtls || seen.has(dtls)) continue;
      seen.add(dtls);
      const s = dtls.onStateChange.subscribe((state) => {
        if (state === "closed" || state === "failed") this.close(`dtls ${state}`);
      });
      this.#disposers.push(() => s.unSubscribe());
    }
  }

  #startMedia(): void {
    if (this.#sub || this.#direct || this.isClosed) return;
    const payloads = this.#opts.payloads ?? sharedPayloads;
    let seq = crypto.getRandomValues(new Uint16Array(1))[0];
    const base = crypto.getRandomValues(new Uint32Array(1))[0];
    const stats = this.#stats;
    let send: (au: AccessUnit) => void;
    const wanted = this.#opts.sendPath ?? "direct";
    const direct = wanted === "direct" ? startDirectPath(this.#pc, seq) : undefined;
    if (direct && !("unavailable" in direct)) {
      this.#direct = direct;
      this.#disposers.push(() => direct.dispose());
      stats.sendPath = "direct";
      send = (au) => {
        const list = payloads.fragmentsOf(au);
        direct.sendAccessUnit(list, base + au.timestamp);
        stats.packets += list.length;
      };
    } else {
      stats.sendPath = "werift";
      if (direct) stats.sendPathNote = direct.unavailable;
      // Straight to the sender: track.writeRtp would clone each packet and fan it out
      // through an event (with a promise per packet) to this one sender anyway.
      const sender = this.#pc.getTransceivers()[0].sender;
      send = (au) => {
        const timestamp = (base + au.timestamp) >>> 0;
        for (const { payload, marker } of payloads.of(au)) {
          const header = new RtpHeader({
            payloadType: 96, // werift rewrites PT and SSRC
            sequenceNumber: seq,
            timestamp,
            marker,
          });
          seq = (seq + 1) & 0xffff;
          sender.sendRtp(new RtpPacket(header, payload)).catch(() => {});
          stats.packets++;
        }
      };
    }
    const subscribe = () => {
      if (this.isClosed) return;
      this.#sub = this.#opts.hub.subscribe(
        paceReplay((au) => {
          if (this.isClosed) return;
          send(au);
          stats.accessUnits++;
        }, { bitsPerSecond: this.#opts.replayBitsPerSecond }),
      );
    };
    if (this.#direct) {
      // werift's last DTLS flight leaves through socket.send, which starts the write a
      // tick later; our writes start at once and would reach the viewer before it has
      // its keys (it drops them: the replayed IDR was lost). One macrotask puts them after.
      const t = setTimeout(subscribe, 0);
      this.#timers.push(t);
    } else {
      subscribe();
    }
    this.#lastRtcp = performance.now();
    const rtcpLimit = this.#opts.rtcpTimeoutMs ?? 10_000;
    const rtcpTimer = setInterval(() => {
      if (performance.now() - this.#lastRtcp > rtcpLimit) this.close("viewer silent (no RTCP)");
    }, Math.min(1_000, rtcpLimit / 2));
    this.#disposers.push(() => clearInterval(rtcpTimer));
    const limit = this.#opts.noMediaTimeoutMs ?? 2_000;
    this.#timers.push(setTimeout(() => {
      if (!this.isClosed && this.#stats.accessUnits === 0) this.close("no media delivered");
    }, limit));
  }
}

async function waitForGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = pc.iceGatheringStateChange.subscribe((s) => {
      if (s === "complete") done();
    });
    function done() {
      clearTimeout(timer);
      sub.unSubscribe();
      resolve();
    }
  });
}
