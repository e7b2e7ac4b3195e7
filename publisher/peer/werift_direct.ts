/**
 * The werift side of the direct send path: once werift has done ICE and DTLS,
 * take the stream's SRTP keys from its DTLS-SRTP exporter, write protected RTP
 * straight to the nominated ICE pair's UDP socket, and keep werift for
 * everything else (ICE consent and keepalives, DTLS, SRTCP, receiver reports,
 * PLI). NACKs still arrive through werift's RTCP handling; since werift's own
 * packet history stays empty on this path, they are answered from the
 * {@linkcode DirectRtpSender}'s ring. RTCP sender reports stay werift's: its
 * counters are fed once per access unit.
 *
 * What this reads of werift 0.25.2 beyond its typed API is gathered in
 * {@linkcode WeriftInternals} and checked when the path starts; anything
 * missing or unusual (another SRTP profile, header extensions, a relayed
 * pair) makes {@linkcode startDirectPath} say why, and the caller keeps
 * werift's own send path.
 *
 * @module
 */
import type { GenericNack, RTCPeerConnection } from "werift";
import { gcmSessionKeys } from "../srtp/srtp_kdf.ts";
import { SrtpGcmProtector } from "../srtp/srtp_gcm.ts";
import { type DatagramWriter, DirectRtpSender } from "./direct_rtp_sender.ts";
import { udpHandleWriter } from "./udp_handle_writer.ts";

/** Milliseconds from the NTP epoch (1900-01-01) to the Unix epoch. */
const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;

/**
 * The wall clock as a 64-bit NTP timestamp (RFC 3550 §4: seconds since 1900 in
 * the high 32 bits, the binary fraction in the low 32), for sender reports.
 * werift's own `ntpTime` formats and splits a decimal string each call.
 */
export function ntpNow(nowMs = performance.timeOrigin + performance.now()): bigint {
  const ms = nowMs + NTP_UNIX_OFFSET_MS;
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

/** werift's number for SRTP_AEAD_AES_128_GCM (RFC 7714 §14.2 profile 0x0007). */
const PROFILE_AEAD_AES_128_GCM = 7;

/** The parts of werift's objects the direct path uses (werift 0.25.2). */
export interface WeriftInternals {
  sender: {
    readonly ssrc: number;
    codec?: { payloadType: number };
    headerExtensions: unknown[];
    onGenericNack: { subscribe(f: (nack: GenericNack) => void): { unSubscribe(): void } };
    runRtcp(): Promise<void>;
    ntpTimestamp: bigint;
    rtpTimestamp: number;
    octetCount: number;
    packetCount: number;
  };
  dtls: {
    state: string;
    dtls?: {
      srtp: { srtpProfile?: number };
      extractSessionKeys(
        keyLength: number,
        saltLength: number,
      ): { localKey: Uint8Array; localSalt: Uint8Array };
    };
    iceTransport: { connection: IceConnection };
  };
}

interface IcePair {
  remoteAddr: [string, number];
  protocol: { type: string; transport?: { type?: string; socket?: unknown; closed?: boolean } };
}

interface IceConnection {
  nominated?: IcePair;
  send(data: Uint8Array): Promise<void>;
}

/** A running direct path. */
export interface DirectPath {
  readonly sender: DirectRtpSender;
  /** How the current ICE pair is written: "udp" (its socket) or "ice" (werift's connection.send, e.g. TURN). */
  readonly via: "udp" | "ice" | "none";
  /** Sends one access unit and feeds werift's sender-report counters. */
  sendAccessUnit(payloads: Parameters<DirectRtpSender["sendAccessUnit"]>[0], ts: number): void;
  dispose(): void;
}

/**
 * Starts the direct path on `pc`'s only (sendonly) transceiver, or returns
 * why it cannot (the caller then sends through werift).
 */
export function startDirectPath(
  pc: RTCPeerConnection,
  initialSequenceNumber: number,
): DirectPath | { unavailable: string } {
  const tx = pc.getTransceivers()[0];
  if (!tx) return { unavailable: "no transceiver" };
  const { sender, dtls } = {
    sender: tx.sender,
    dtls: tx.dtlsTransport,
  } as unknown as WeriftInternals;
  if (!dtls || dtls.state !== "connected" || !dtls.dtls) {
    return { unavailable: "DTLS not connected" };
  }
  const profile = dtls.dtls.srtp?.srtpProfile;
  if (profile !== PROFILE_AEAD_AES_128_GCM) return { unavailable: `SRTP profile ${profile}` };
  if (!sender.codec) return { unavailable: "no negotiated codec" };
  if ((sender.headerExtensions ?? []).length > 0) {
    return { unavailable: "RTP header extensions negotiated" };
  }
  if (typeof sender.runRtcp !== "function" || !sender.onGenericNack) {
    return { unavailable: "werift sender API changed" };
  }
  const connection = dtls.iceTransport?.connection;
  if (!connection || typeof connection.send !== "function") {
    return { unavailable: "werift ICE API changed" };
  }
  // RFC 5764 §4.2: the exporter gives client key, server key, client salt, server salt;
  // werift hands back our side's ("local") pair.
  const { localKey, localSalt } = dtls.dtls.extractSessionKeys(16, 12);
  const keys = gcmSessionKeys(localKey, localSalt);
  const ssrc = sender.ssrc;

  let pair: IcePair | undefined;
  let write: DatagramWriter | null = null;
  let via: DirectPath["via"] = "none";
  const writer = (): DatagramWriter | null => {
    const current = connection.nominated;
    if (current !== pair) {
      pair = current;
      write = null;
      via = "none";
      if (current) {
        const t = current.protocol?.transport;
        const [host, port] = current.remoteAddr;
        const udp = current.protocol?.type === "stun" && t?.type === "udp"
          ? udpHandleWriter(t.socket, host, port)
          : null;
        if (udp) {
          write = (b) => {
            if (!t!.closed) udp(b);
          };
          via = "udp";
        } else {
          // A relayed (TURN) pair: werift frames it; it sends asynchronously, so copy.
          write = (b) => void connection.send(b.slice()).catch(() => {});
          via = "ice";
        }
      }
    }
    return write;
  };

  const direct = new DirectRtpSender({
    ssrc,
    payloadType: sender.codec.payloadType,
    initialSequenceNumber,
    protector: new SrtpGcmProtector(keys.key, keys.salt, ssrc),
    writer,
  });
  const nack = sender.onGenericNack.subscribe((feedback: GenericNack) => {
    direct.retransmit(feedback.lost);
  });
  let rtcpStarted = false;
  return {
    sender: direct,
    get via() {
      return via;
    },
    sendAccessUnit(payloads, ts) {
      if (!direct.sendAccessUnit(payloads, ts)) return;
      // What werift's dispatchRtp records for its RTCP sender reports (RFC 3550 §6.4.1).
      sender.ntpTimestamp = ntpNow();
      sender.rtpTimestamp = direct.lastTimestamp;
      sender.packetCount = direct.packetsSent >>> 0;
      sender.octetCount = direct.payloadBytesSent >>> 0;
      if (!rtcpStarted) {
        rtcpStarted = true;
        void sender.runRtcp();
      }
    },
    dispose() {
      nack.unSubscribe();
    },
  };
}
