/**
 * The sendonly hot path of one viewer, without werift in it: RTP headers
 * written into a ring of reused packet buffers, the payload copied in once
 * from the NAL units themselves ({@linkcode RtpFragment}: no intermediate
 * payload buffers), all packets of an access unit SRTP-protected in one batch, then handed
 * to a datagram writer. The ring doubles as the retransmission history: a NACK
 * (RFC 4585 §6.2.1) resends the protected bytes as they were (same sequence
 * number, same ciphertext; the receiver never saw them, so SRTP replay
 * protection lets them through).
 *
 * Pure: the protector and the writer are injected (see
 * publisher/peer/werift_direct.ts for the werift side).
 *
 * @module
 */
import { GCM_TAG_BYTES, type SrtpPacketSlot } from "../srtp/srtp_gcm.ts";
import type { RtpFragment } from "../media/h264_packetizer.ts";

/** What protects a batch of packets in place (e.g. {@linkcode SrtpGcmProtector}). */
export interface PacketProtector {
  protect(slots: readonly SrtpPacketSlot[], count: number): void;
}

/**
 * Writes one datagram. It must be done with `bytes` when it returns (copy it
 * or send it synchronously): the buffer is reused.
 */
export type DatagramWriter = (bytes: Uint8Array) => void;

/** Options of {@linkcode DirectRtpSender}. */
export interface DirectRtpSenderOptions {
  ssrc: number;
  payloadType: number;
  /** Sequence number of the first packet (random per RFC 3550 §5.1). */
  initialSequenceNumber: number;
  protector: PacketProtector;
  /** Current writer; re-read for every access unit (the ICE pair can change). */
  writer: () => DatagramWriter | null;
  /** Packets kept for retransmission, a power of two (default 512, ~2 s at 2 Mbit/s). */
  historySize?: number;
  /** Largest RTP payload (default 1200). */
  maxPayloadSize?: number;
}

/** Counters of one direct sender. */
export interface DirectRtpSenderStats {
  packets: number;
  /** RTP payload bytes sent (RTCP SR octet count, RFC 3550 §6.4.1). */
  payloadBytes: number;
  retransmitted: number;
  /** NACKed packets no longer (or never) in the history. */
  unrecoverable: number;
  /** Packets not sent because there was no writer (not connected). */
  dropped: number;
}

const HEADER_BYTES = 12;

class Slot implements SrtpPacketSlot {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  headerLength = HEADER_BYTES;
  payloadLength = 0;
  roc = 0;
  /** Sequence number in this slot, -1 when empty. */
  seq = -1;
  constructor(capacity: number) {
    this.bytes = new Uint8Array((capacity + 3) & ~3);
    this.words = new Int32Array(this.bytes.buffer);
  }
  get length(): number {
    return this.headerLength + this.payloadLength + GCM_TAG_BYTES;
  }
}

/**
 * One SRTP stream to one viewer.
 *
 * @example
 * ```ts
 * const tx = new DirectRtpSender({ ssrc, payloadType: 96, initialSequenceNumber: seq,
 *   protector: new SrtpGcmProtector(key, salt, ssrc), writer: () => write });
 * tx.sendAccessUnit(payloads.fragmentsOf(au), base + au.timestamp);
 * tx.retransmit(nack.lost);
 * ```
 */
export class DirectRtpSender {
  readonly #o: DirectRtpSenderOptions;
  readonly #ring: (Slot | undefined)[];
  readonly #mask: number;
  readonly #capacity: number;
  readonly #batch: Slot[] = [];
  #seq: number;
  #roc = 0;
  #lastTimestamp = 0;
  readonly #stats: DirectRtpSenderStats = {
    packets: 0,
    payloadBytes: 0,
    retransmitted: 0,
    unrecoverable: 0,
    dropped: 0,
  };

  constructor(options: DirectRtpSenderOptions) {
    const size = options.historySize ?? 512;
    if (!Number.isInteger(Math.log2(size)) || size < 16) {
      throw new RangeError(`historySize must be a power of two >= 16, got ${size}`);
    }
    this.#o = options;
    this.#ring = new Array(size);
    this.#mask = size - 1;
    this.#capacity = HEADER_BYTES + (options.maxPayloadSize ?? 1200) + GCM_TAG_BYTES;
    this.#seq = options.initialSequenceNumber & 0xffff;
  }

  /** A snapshot of the counters. */
  get stats(): DirectRtpSenderStats {
    return { ...this.#stats };
  }

  /** RTP packets sent so far (retransmissions not included); no snapshot object. */
  get packetsSent(): number {
    return this.#stats.packets;
  }

  /** RTP payload bytes sent so far. */
  get payloadBytesSent(): number {
    return this.#stats.payloadBytes;
  }

  /** RTP timestamp of the last access unit sent (for RTCP sender reports). */
  get lastTimestamp(): number {
    return this.#lastTimestamp;
  }

  /**
   * Sends one access unit's payloads (the last one carries the marker bit) with
   * RTP timestamp `timestamp`. Returns false (nothing sent, sequence numbers not
   * used) when there is no writer.
   */
  sendAccessUnit(payloads: readonly RtpFragment[], timestamp: number): boolean {
    const write = this.#o.writer();
    if (!write) {
      this.#stats.dropped += payloads.length;
      return false;
    }
    const n = payloads.length;
    if (n > this.#ring.length) {
      throw new RangeError(`access unit of ${n} packets exceeds the history`);
    }
    const batch = this.#batch;
    batch.length = 0;
    const ssrc = this.#o.ssrc >>> 0;
    const pt = this.#o.payloadType & 0x7f;
    const ts = timestamp >>> 0;
    let bytes = 0;
    for (let k = 0; k < n; k++) {
      const { prefixLength, body, marker } = payloads[k];
      const length = prefixLength + body.length;
      if (length + HEADER_BYTES + GCM_TAG_BYTES > this.#capacity) {
        throw new RangeError(`RTP payload of ${length} bytes exceeds the slot`);
      }
      const seq = this.#seq;
      const i = seq & this.#mask;
      const s = this.#ring[i] ??= new Slot(this.#capacity);
      const b = s.bytes;
      // RFC 3550 §5.1: V=2, no padding, no extension, no CSRC.
      b[0] = 0x80;
      b[1] = (marker ? 0x80 : 0) | pt;
      b[2] = seq >>> 8;
      b[3] = seq & 0xff;
      b[4] = ts >>> 24;
      b[5] = (ts >>> 16) & 0xff;
      b[6] = (ts >>> 8) & 0xff;
      b[7] = ts & 0xff;
      b[8] = ssrc >>> 24;
      b[9] = (ssrc >>> 16) & 0xff;
      b[10] = (ssrc >>> 8) & 0xff;
      b[11] = ssrc & 0xff;
      if (prefixLength) {
        b[HEADER_BYTES] = payloads[k].prefix0;
        b[HEADER_BYTES + 1] = payloads[k].prefix1;
      }
      b.set(body, HEADER_BYTES + prefixLength);
      s.headerLength = HEADER_BYTES;
      s.payloadLength = length;
      s.roc = this.#roc;
      s.seq = seq;
      batch.push(s);
      bytes += length;
      // RFC 3711 §3.3.1: we are the sender, so the ROC counts our own wraps.
      this.#seq = (seq + 1) & 0xffff;
      if (this.#seq === 0) this.#roc = (this.#roc + 1) >>> 0;
    }
    this.#o.protector.protect(batch, n);
    for (let k = 0; k < n; k++) {
      const s = batch[k];
      write(s.bytes.subarray(0, s.length));
    }
    this.#stats.packets += n;
    this.#stats.payloadBytes += bytes;
    this.#lastTimestamp = ts;
    return true;
  }

  /** Resends the packets with these sequence numbers that are still in the history. */
  retransmit(sequenceNumbers: Iterable<number>): number {
    const write = this.#o.writer();
    if (!write) return 0;
    let sent = 0;
    for (const seq of sequenceNumbers) {
      const s = this.#ring[seq & this.#mask];
      if (!s || s.seq !== (seq & 0xffff)) {
        this.#stats.unrecoverable++;
        continue;
      }
      write(s.bytes.subarray(0, s.length));
      sent++;
    }
    this.#stats.retransmitted += sent;
    return sent;
  }
}
