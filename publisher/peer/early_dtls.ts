/**
 * Keeps the DTLS records a viewer sends before werift's DTLS server exists,
 * and hands them to it the moment it does.
 *
 * Why: werift 0.25.2 (`RTCPeerConnection.connect()`) awaits its own ICE agent
 * (`iceTransport.start()`: a pair that werift itself checked *and* the viewer
 * nominated) and only then calls `RTCDtlsTransport.start()`, which creates the
 * `DtlsServer` and its subscription to the ICE connection's data. A
 * controlling viewer whose ICE is done sooner sends its ClientHello in
 * between; werift's ICE connection emits it with no DTLS listener and it is
 * lost. libnice/GStreamer (webrtcbin) does exactly that: its ICE check
 * succeeds ~75 ms after the answer, its first ClientHello is dropped and
 * OpenSSL retransmits only 1 s later (issue 14.7). Chromium retransmits after
 * 50 ms, which hid the problem.
 *
 * Only public werift objects are used (the transport's `state`,
 * `onStateChange`, `dtls`, and the ICE connection's `onData` event): no fork,
 * no patch. Bounded: at most {@linkcode EARLY_DTLS_MAX_RECORDS} records of a
 * ClientHello's size, kept only while the DTLS transport is still "new".
 *
 * @module
 */

/** The event shape werift uses (`Event` from werift's common package). */
export interface WeriftEvent<T extends unknown[]> {
  subscribe(fn: (...args: T) => void): { unSubscribe: () => void };
  execute(...args: T): void;
}

/** What this module needs of a werift `RTCDtlsTransport`. */
export interface EarlyDtlsTransport {
  readonly state: string;
  readonly dtls?: unknown;
  readonly onStateChange: WeriftEvent<[string]>;
  readonly iceTransport: { readonly connection: { readonly onData: WeriftEvent<[Uint8Array]> } };
}

/** Most records kept (a client's first flight is one ClientHello, maybe fragmented). */
export const EARLY_DTLS_MAX_RECORDS = 8;
/** Most bytes kept in all. */
export const EARLY_DTLS_MAX_BYTES = 16 * 1024;

/** RFC 7983 demultiplexing: a first byte of 20–63 is DTLS. */
export function isDtlsRecord(data: Uint8Array): boolean {
  return data.length > 0 && data[0] >= 20 && data[0] <= 63;
}

/**
 * Starts keeping early DTLS records for `transport`; they are replayed into
 * werift's DTLS server right after it is created (state "connecting").
 * Returns a disposer; it is also released by itself after the replay or when
 * the transport closes or fails.
 *
 * @example
 * ```ts
 * const release = keepEarlyDtls(tx.dtlsTransport); // before the answer leaves
 * // … peer closes:
 * release();
 * ```
 */
export function keepEarlyDtls(transport: EarlyDtlsTransport): () => void {
  const kept: Uint8Array[] = [];
  let bytes = 0;
  let released = false;
  const data = transport.iceTransport.connection.onData.subscribe((record) => {
    if (transport.state !== "new" || !isDtlsRecord(record)) return;
    if (kept.length >= EARLY_DTLS_MAX_RECORDS || bytes + record.length > EARLY_DTLS_MAX_BYTES) {
      return;
    }
    kept.push(record);
    bytes += record.length;
  });
  const release = () => {
    if (released) return;
    released = true;
    data.unSubscribe();
    state.unSubscribe();
    kept.length = 0;
  };
  const state = transport.onStateChange.subscribe((s) => {
    if (s === "connecting") {
      // werift sets "connecting" and creates its DtlsServer synchronously right after,
      // inside start(): one microtask later the server listens.
      queueMicrotask(() => {
        const records = kept.splice(0);
        release();
        if (transport.dtls === undefined) return;
        for (const record of records) transport.iceTransport.connection.onData.execute(record);
      });
    } else if (s !== "new") {
      release();
    }
  });
  return release;
}
