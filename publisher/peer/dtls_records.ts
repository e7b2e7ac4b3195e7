/**
 * DTLS 1.2 record and handshake headers (RFC 6347 sections 4.1, 4.2.2), and
 * the filter that keeps a viewer's retransmitted handshake flights from
 * corrupting werift's DTLS server (pure; used by dtls_guard.ts).
 *
 * werift 0.25.2's `DtlsServer` handles a retransmitted client flight as if it
 * were new: a second copy of flight 5 (Certificate, ClientKeyExchange,
 * CertificateVerify) that arrives while the first is still being processed
 * makes it compute the extended master secret again over a transcript that
 * by then also holds CertificateVerify and Finished (RFC 7627 section 4: the
 * session hash ends at ClientKeyExchange). Its Finished and SRTP keys are then
 * wrong although it reports "connected": the viewer never completes DTLS, or
 * completes it and can decrypt nothing (seen in ~1 of 30 connections with a
 * loaded CPU, the "connected but never a frame" of DESIGN.md). A stale
 * ClientHello without cookie after the one with cookie regenerates its
 * ServerHello random and ECDHE key, and any ClientHello after the handshake
 * starts a renegotiation. So:
 *
 * - epoch-0 client handshake fragments of flight 5 are delivered once;
 * - a ClientHello without cookie (message_seq 0) is dropped once the one
 *   with cookie came, and every ClientHello once connected;
 * - everything else passes, in particular the epoch-1 Finished: its copy
 *   makes werift send its flight 6 again (it has no retransmission timer of
 *   its own), which is what a lost flight 6 needs.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** DTLS content types. */
export const HANDSHAKE = 22;
/** Handshake message types. */
export const CLIENT_HELLO = 1;
const CLIENT_FLIGHT5 = new Set([11, 15, 16]); // certificate, certificate_verify, client_key_exchange

const RECORD_HEADER = 13;
const HANDSHAKE_HEADER = 12;

/** One record of a datagram. */
export interface DtlsRecord {
  contentType: number;
  epoch: number;
  /** The record's bytes (header included), a view into the datagram. */
  bytes: Uint8Array;
  /** For an epoch-0 handshake record: its (first) handshake header. */
  handshake?: { msgType: number; messageSeq: number; fragmentOffset: number };
}

/** Splits a datagram into records; null when it is not well-formed DTLS. */
export function splitRecords(datagram: Uint8Array): DtlsRecord[] | null {
  const records: DtlsRecord[] = [];
  let at = 0;
  while (at < datagram.length) {
    if (datagram.length - at < RECORD_HEADER) return null;
    const contentType = datagram[at];
    if (contentType < 20 || contentType > 63) return null;
    const epoch = (datagram[at + 3] << 8) | datagram[at + 4];
    const length = (datagram[at + 11] << 8) | datagram[at + 12];
    const end = at + RECORD_HEADER + length;
    if (end > datagram.length) return null;
    const bytes = datagram.subarray(at, end);
    const record: DtlsRecord = { contentType, epoch, bytes };
    if (contentType === HANDSHAKE && epoch === 0 && length >= HANDSHAKE_HEADER) {
      const h = at + RECORD_HEADER;
      record.handshake = {
        msgType: datagram[h],
        messageSeq: (datagram[h + 4] << 8) | datagram[h + 5],
        fragmentOffset: (datagram[h + 6] << 16) | (datagram[h + 7] << 8) | datagram[h + 8],
      };
    }
    records.push(record);
    at = end;
  }
  return records;
}

/** Drops the retransmitted client records werift's DTLS server mishandles (see the module). */
export class ClientFlightFilter {
  readonly #delivered = new Set<string>();
  #helloWithCookie = false;

  /**
   * The part of `datagram` to hand werift, or null to drop it all. A datagram
   * that is not well-formed DTLS passes unchanged (werift rejects it itself).
   *
   * @example
   * ```ts
   * const filter = new ClientFlightFilter();
   * const out = filter.pass(datagram, dtlsTransport.state === "connected");
   * if (out) deliver(out);
   * ```
   */
  pass(datagram: Uint8Array, connected: boolean): Uint8Array | null {
    const records = splitRecords(datagram);
    if (records === null) return datagram;
    const kept = records.filter((r) => this.#keep(r, connected));
    if (kept.length === records.length) return datagram;
    if (kept.length === 0) return null;
    // A Buffer: werift's record parser uses Buffer methods.
    return Buffer.concat(kept.map((r) => r.bytes));
  }

  #keep(r: DtlsRecord, connected: boolean): boolean {
    const h = r.handshake;
    if (!h) return true;
    if (h.msgType === CLIENT_HELLO) {
      if (connected) return false; // no renegotiation
      if (h.messageSeq === 0) return !this.#helloWithCookie;
      this.#helloWithCookie = true;
      return true; // a copy makes werift resend its flight 4
    }
    if (!CLIENT_FLIGHT5.has(h.msgType)) return true;
    const key = `${h.msgType}/${h.messageSeq}/${h.fragmentOffset}`;
    if (this.#delivered.has(key)) return false;
    this.#delivered.add(key);
    return true;
  }
}
