/**
 * Incremental parser for `text/event-stream` bodies, following the WHATWG
 * HTML "server-sent events" interpretation rules. Pure: feed it decoded text
 * chunks of any size (split anywhere, even inside a CRLF), get events back.
 *
 * EventSource cannot send an Authorization header, so the viewer reads the
 * stream with fetch() and parses it with this.
 */

export interface SseEvent {
  /** Event type; "message" when the stream did not name one. */
  event: string;
  /** Data lines joined with "\n". */
  data: string;
  /** Last event id in effect when the event was dispatched. */
  id: string;
}

export class SseParser {
  #buffer = "";
  #sawFirstChunk = false;
  /** The previous chunk ended with "\r": a leading "\n" belongs to it. */
  #pendingCr = false;
  #data: string[] = [];
  #hasData = false;
  #eventType = "";
  #lastEventId = "";
  #retry: number | undefined;

  /** The last event id seen (for a `Last-Event-ID` header on reconnect). */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Reconnection time requested by the server with `retry:`, in ms. */
  get retry(): number | undefined {
    return this.#retry;
  }

  /** Feeds a chunk of decoded text; returns the events completed by it. */
  push(chunk: string): SseEvent[] {
    if (!this.#sawFirstChunk && chunk.length > 0) {
      this.#sawFirstChunk = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.#pendingCr && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.#pendingCr = false;
    this.#buffer += chunk;

    const events: SseEvent[] = [];
    let start = 0;
    const buf = this.#buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      const line = buf.slice(start, i);
      if (c === 0x0d) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 0x0a) i++;
        } else {
          // "\r" at the very end: a "\n" may follow in the next chunk.
          this.#pendingCr = true;
        }
      }
      start = i + 1;
      const ev = this.#line(line);
      if (ev) events.push(ev);
    }
    this.#buffer = buf.slice(start);
    return events;
  }

  /**
   * End of stream. Per the spec an incomplete event (no terminating blank
   * line) is discarded. Resets the per-event state; the last event id and
   * retry survive for the next connection.
   */
  end(): void {
    this.#buffer = "";
    this.#pendingCr = false;
    this.#sawFirstChunk = false;
    this.#data = [];
    this.#hasData = false;
    this.#eventType = "";
  }

  #line(line: string): SseEvent | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined; // comment / keep-alive
    const colon = line.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
    }
    switch (field) {
      case "event":
        this.#eventType = value;
        break;
      case "data":
        this.#data.push(value);
        this.#hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.#lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.#retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const hasData = this.#hasData;
    const data = this.#data.join("\n");
    const event = this.#eventType || "message";
    this.#data = [];
    this.#hasData = false;
    this.#eventType = "";
    if (!hasData) return undefined;
    return { event, data, id: this.#lastEventId };
  }
}

/** Parses a complete stream at once (convenience for tests and tools). */
export function parseSse(text: string): SseEvent[] {
  const parser = new SseParser();
  return parser.push(text);
}
