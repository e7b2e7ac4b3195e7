/**
 * Two guards in front of werift's DTLS server for one viewer peer.
 *
 * 1. Early records. werift 0.25.2 (`RTCPeerConnection.connect()`) awaits its
 *    own ICE agent (`iceTransport.start()`: a pair that werift itself checked
 *    *and* the viewer nominated) and only then calls
 *    `RTCDtlsTransport.start()`, which creates the `DtlsServer`. A
 *    controlling viewer whose ICE is done sooner sends its ClientHello in
 *    between; werift's ICE connection emits it with no DTLS listener and it
 *    is lost. libnice/GStreamer (webrtcbin) does exactly that: its first
 *    ClientHello was dropped and OpenSSL retransmits only 1 s later (issue
 *    14.7). The records are kept (one copy each, bounded) and handed to the
 *    server the moment it exists.
 * 2. Retransmissions. Copies of a client flight that werift's server would
 *    mishandle are dropped (see dtls_records.ts for why and which); only when
 *    werift is the DTLS server, as it is for every answer with
 *    a=setup:passive.
 *
 * werift is not forked. The one runtime change: the callback werift's
 * `DtlsSocket` installs on its transport (`dtls.transport.socket.onData`, a
 * public property) is wrapped with the filter, right after werift creates
 * the server. Everything else uses werift's public objects (`state`,
 * `onStateChange`, the ICE connection's `onData` event).
 *
 * @module
 */
import { ClientFlightFilter, splitRecords } from "./dtls_records.ts";

/** The event shape werift uses (`Event` from werift's common package). */
export interface WeriftEvent<T extends unknown[]> {
  subscribe(fn: (...args: T) => void): { unSubscribe: () => void };
  execute(...args: T): void;
}

/** What this module needs of a werift `RTCDtlsTransport`. */
export interface GuardedDtlsTransport {
  readonly state: string;
  /** "server" when werift answers a=setup:passive (the viewer's records are a client's). */
  readonly role: string;
  /** werift's DtlsServer/DtlsClient once started. */
  readonly dtls?: {
    readonly transport: { socket: { onData: (data: never, addr: never) => void } };
  };
  readonly onStateChange: WeriftEvent<[string]>;
  readonly iceTransport: { readonly connection: { readonly onData: WeriftEvent<[Uint8Array]> } };
}

/** Most early records kept (a client's first flight is one ClientHello, maybe fragmented). */
export const EARLY_DTLS_MAX_RECORDS = 8;
/** Most early bytes kept in all. */
export const EARLY_DTLS_MAX_BYTES = 16 * 1024;

/** RFC 7983 demultiplexing: a first byte of 20–63 is DTLS. */
export function isDtlsRecord(data: Uint8Array): boolean {
  return data.length > 0 && data[0] >= 20 && data[0] <= 63;
}

/** A retransmitted copy has the same handshake header (and a new record sequence number). */
function handshakeKey(datagram: Uint8Array): string | null {
  const h = splitRecords(datagram)?.[0]?.handshake;
  return h ? `${h.msgType}/${h.messageSeq}/${h.fragmentOffset}` : null;
}

/**
 * Guards `transport` (call it before the answer leaves, so no record can come
 * earlier). Returns a disposer; it also ends by itself when the transport
 * closes or fails.
 *
 * @example
 * ```ts
 * const release = guardDtls(tx.dtlsTransport);
 * // … peer closes:
 * release();
 * ```
 */
export function guardDtls(transport: GuardedDtlsTransport): () => void {
  const early: Uint8Array[] = [];
  const earlyKeys = new Set<string>();
  let bytes = 0;
  let released = false;
  const data = transport.iceTransport.connection.onData.subscribe((record) => {
    if (transport.state !== "new" || !isDtlsRecord(record)) return;
    const key = handshakeKey(record);
    if (key !== null && earlyKeys.has(key)) return; // a retransmission of a kept record
    if (early.length >= EARLY_DTLS_MAX_RECORDS || bytes + record.length > EARLY_DTLS_MAX_BYTES) {
      return;
    }
    if (key !== null) earlyKeys.add(key);
    early.push(record);
    bytes += record.length;
  });
  const stopKeeping = () => {
    data.unSubscribe();
    early.length = 0;
  };
  const release = () => {
    if (released) return;
    released = true;
    stopKeeping();
    state.unSubscribe();
  };
  const state = transport.onStateChange.subscribe((s) => {
    if (s === "connecting") {
      // werift sets "connecting" and creates its DtlsServer synchronously right after,
      // inside start(): one microtask later the server listens.
      queueMicrotask(() => {
        const records = early.splice(0);
        stopKeeping();
        const socket = transport.dtls?.transport.socket;
        if (released || !socket) return;
        const deliver = socket.onData as (data: Uint8Array, addr?: unknown) => void;
        let receive = deliver;
        if (transport.role === "server") {
          const filter = new ClientFlightFilter();
          receive = (datagram, addr) => {
            const out = filter.pass(datagram, transport.state === "connected");
            if (out) deliver(out, addr);
          };
          socket.onData = receive as never;
        }
        for (const record of records) receive(record);
      });
    } else if (s !== "new") {
      release();
    }
  });
  return release;
}
