/**
 * Shared support for the security suite: a scripted publisher that records
 * every frame it receives, raw JWT construction (any header, any signature),
 * audit checks and a minimal recvonly WHEP offer.
 * @module
 */
import assert from "node:assert/strict";
import * as jose from "jose";
import type { EnrolledDevice, TestServer } from "../helpers/server.ts";

/** A recvonly video offer that passes the server's `checkOffer`. */
export const VALID_OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=msid-semantic: WMS",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:abcdefghijklmnopqrstuvwx",
  "a=fingerprint:sha-256 " + Array.from({ length: 32 }, () => "AB").join(":"),
  "a=setup:actpass",
  "a=mid:0",
  "a=recvonly",
  "a=rtcp-mux",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  "",
].join("\r\n");

/** What the scripted publisher does with an offer. */
export type OfferPolicy = "answer" | "reject" | "answer-then-close";

/** A publisher driven by the test: it records every frame it receives. */
export class ScriptedPublisher {
  readonly frames: Record<string, unknown>[] = [];
  policy: OfferPolicy = "answer";
  #waiters: { pred: (f: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  #closed: Promise<CloseEvent>;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  open = true;

  private constructor(readonly ws: WebSocket, readonly deviceId: string) {
    // Heartbeats as a real publisher sends them (every 3 s): without them a
    // slow phase of a test (≥ 10 s under load) gets the channel dropped.
    const heartbeat = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) this.send({ type: "heartbeat", t: Date.now() });
    }, 3_000);
    this.#closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        clearInterval(heartbeat);
        this.open = false;
        clearInterval(this.#heartbeat);
        resolve(e);
      });
    });
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : "<binary>";
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = { type: "<unparsable>", text };
      }
      this.frames.push(frame);
      if (frame.type === "offer") this.#onOffer(frame);
      if (frame.type === "restart") {
        this.send({
          type: "restarted",
          sessionId: frame.sessionId,
          sdpfrag: `a=ice-ufrag:scr1\r\na=ice-pwd:${"s".repeat(24)}\r\na=end-of-candidates\r\n`,
        });
      }
      // Heartbeats as a real publisher sends them: a slow test phase must not look like silence.
      if (frame.type === "welcome" && typeof frame.heartbeatMs === "number") {
        this.#heartbeat = setInterval(
          () => this.send({ type: "heartbeat", t: Date.now() }),
          frame.heartbeatMs,
        );
      }
      for (const w of [...this.#waiters]) {
        if (w.pred(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    });
  }

  /** Gets a device token over mTLS, opens the channel, waits for welcome, says hello. */
  static async connect(dev: EnrolledDevice): Promise<ScriptedPublisher> {
    const res = await fetch(`${dev.deviceBase}/device/token`, {
      method: "POST",
      client: dev.client,
    });
    assert.equal(res.status, 200, "device token for the scripted publisher");
    const { token } = await res.json();
    const ws = deviceWebSocket(
      `${dev.deviceBase.replace("https:", "wss:")}/device/ws`,
      { Authorization: `Bearer ${token}` },
      dev.client,
    );
    const pub = new ScriptedPublisher(ws, dev.deviceId);
    await pub.waitFor((f) => f.type === "welcome");
    pub.send({ type: "hello", version: "test", camera: {} });
    return pub;
  }

  /** Sends a JSON frame (or a raw string / bytes as is). */
  send(frame: unknown): void {
    if (typeof frame === "string" || frame instanceof Uint8Array) this.ws.send(frame);
    else this.ws.send(JSON.stringify(frame));
  }

  /** Resolves when a frame matching `pred` arrives (including ones already received). */
  waitFor(pred: (f: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<void> {
    if (this.frames.some(pred)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`publisher ${this.deviceId}: no matching frame in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push({ pred, resolve: done });
    });
  }

  /** Offers received so far. */
  offers(): Record<string, unknown>[] {
    return this.frames.filter((f) => f.type === "offer");
  }

  #onOffer(frame: Record<string, unknown>) {
    if (this.policy === "answer-then-close") {
      // As a publisher whose peer failed at once: the answer, and the close right behind it.
      this.send({
        type: "answer",
        sessionId: frame.sessionId,
        sdp: VALID_OFFER.replace("a=recvonly", "a=sendonly"),
      });
      this.send({ type: "close", sessionId: frame.sessionId, reason: "ICE failed" });
      return;
    }
    if (this.policy === "answer") {
      this.send({
        type: "answer",
        sessionId: frame.sessionId,
        sdp: VALID_OFFER.replace("a=recvonly", "a=sendonly"),
      });
      // As the real publisher once ICE/DTLS connect: else the server reaps the session.
      this.send({
        type: "session",
        sessionId: frame.sessionId,
        state: "connected",
        pair: { local: "host", remote: "prflx" },
      });
    } else {
      this.send({
        type: "reject",
        sessionId: frame.sessionId,
        status: 400,
        message: "scripted publisher rejects",
      });
    }
  }

  /** The server's close of the channel (its code and reason), when it comes. */
  closed(): Promise<CloseEvent> {
    return this.#closed;
  }

  /** Closes the channel and waits for the close event. */
  async close(): Promise<void> {
    if (this.open) this.ws.close();
    await this.#closed;
  }
}

/**
 * Deno's WebSocket with handshake headers and an mTLS client (non-standard
 * options, typed as unstable: hence the cast).
 */
export function deviceWebSocket(
  url: string,
  headers: HeadersInit,
  client: Deno.HttpClient,
): WebSocket {
  return new WebSocket(url, { headers, client } as unknown as string[]);
}

/** base64url of a string or bytes. */
export function b64u(input: string | Uint8Array): string {
  return jose.base64url.encode(input);
}

/** Builds a compact JWS from any header and payload with an Ed25519 key (or a fixed signature). */
export async function rawJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signWith: CryptoKey | Uint8Array | "" = "",
): Promise<string> {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  if (signWith === "") return `${input}.`;
  if (signWith instanceof Uint8Array) return `${input}.${b64u(signWith)}`;
  const sig = new Uint8Array(
    await crypto.subtle.sign("Ed25519", signWith, new TextEncoder().encode(input)),
  );
  return `${input}.${b64u(sig)}`;
}

/** Decodes the payload of a compact JWT (no verification). */
export function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(jose.base64url.decode(token.split(".")[1])));
}

/** Asserts that no audit entry (in memory or on disk) contains `secret`. */
export async function assertNotInAudit(s: TestServer, secret: string): Promise<void> {
  if (secret.length < 8) return;
  const mem = JSON.stringify(s.ctx.audit.recent);
  assert.ok(!mem.includes(secret), "a secret appears in the in-memory audit log");
  const file = await Deno.readTextFile(`${s.dataDir}/audit.log`).catch(() => "");
  assert.ok(!file.includes(secret), "a secret appears in audit.log");
  // also no tell-tale signature part on its own
  const sig = secret.split(".")[2];
  if (sig && sig.length >= 16) {
    assert.ok(!mem.includes(sig) && !file.includes(sig), "a token signature appears in the audit");
  }
}

/** Audit events logged since index `from` of `recent` with this event name. */
export function auditSince(s: TestServer, from: number, event: string) {
  return s.ctx.audit.recent.slice(from).filter((e) => e.event === event);
}

/**
 * Whether a tool-dependent test runs: under CI=true a missing tool fails;
 * locally it is skipped with a printed reason.
 */
export function underCi(): boolean {
  try {
    return Deno.env.get("CI") === "true";
  } catch {
    return false;
  }
}

export { mulberry32 } from "../helpers/prng.ts";
