/**
 * A scripted publisher over the real mTLS device channel: records what the
 * server sends and answers offers as told. Used by integration tests.
 * @module
 */
import type { EnrolledDevice } from "./server.ts";

/** How the scripted publisher reacts to an offer. */
export type OfferBehaviour = "answer" | "silent" | "busy";

/** A connected scripted publisher. */
export interface ScriptedPublisher {
  received: Record<string, unknown>[];
  ws: WebSocket;
  behaviour: OfferBehaviour;
  /**
   * After answering, report the session's media connected (as the real
   * publisher does once ICE/DTLS connect; default true). False plays a
   * viewer that never connects: the server reaps the session.
   */
  reportConnected: boolean;
  send(m: unknown): void;
  /** Waits until a frame matching `pred` arrives. */
  waitFor(
    pred: (m: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Connects, waits for `welcome`, sends `hello`. */
export async function connectPublisher(
  dev: EnrolledDevice,
  label = "Test camera",
): Promise<ScriptedPublisher> {
  const tokenRes = await fetch(`${dev.deviceBase}/device/token`, {
    method: "POST",
    client: dev.client,
  });
  if (tokenRes.status !== 200) throw new Error(`device token: ${tokenRes.status}`);
  const { token } = await tokenRes.json();
  const ws = new WebSocket(`${dev.deviceBase.replace("https", "wss")}/device/ws`, {
    headers: { authorization: `Bearer ${token}` },
    client: dev.client,
  } as unknown as string[]);
  const received: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const pub: ScriptedPublisher = {
    received,
    ws,
    behaviour: "answer",
    reportConnected: true,
    send: (m) => ws.send(typeof m === "string" ? m : JSON.stringify(m)),
    waitFor(pred, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = received.find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error("timed out waiting for a device frame"));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.addEventListener("close", () => resolve(), { once: true });
        ws.close();
      });
    },
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data as string);
    received.push(m);
    if (m.type === "offer") {
      if (pub.behaviour === "answer") {
        pub.send({
          type: "answer",
          sessionId: m.sessionId,
          sdp: `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=scripted\r\n`,
        });
        if (pub.reportConnected) {
          pub.send({
            type: "session",
            sessionId: m.sessionId,
            state: "connected",
            pair: { local: "host", remote: "prflx" },
          });
        }
      } else if (pub.behaviour === "busy") {
        pub.send({
          type: "reject",
          sessionId: m.sessionId,
          status: 503,
          message: "publisher busy",
        });
      }
    }
    if (m.type === "restart") {
      // Scripted: new credentials derived from the viewer's, no candidates.
      const ufrag = /a=ice-ufrag:(\S+)/.exec(m.sdpfrag as string)?.[1] ?? "none";
      pub.send({
        type: "restarted",
        sessionId: m.sessionId,
        sdpfrag: `a=ice-ufrag:p${ufrag}\r\na=ice-pwd:${"s".repeat(24)}\r\na=end-of-candidates\r\n`,
      });
    }
    for (const w of [...waiters]) w();
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(new Error(`device ws: ${(e as ErrorEvent).message}`));
  });
  await pub.waitFor((m) => m.type === "welcome");
  pub.send({ type: "hello", version: "test", camera: { label } });
  return pub;
}

/** A minimal recvonly video offer, as a browser would send (enough for the server's checks). */
export const RECVONLY_OFFER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "m=video 9 UDP/TLS/RTP/SAVPF 102",
  "c=IN IP4 0.0.0.0",
  "a=mid:0",
  "a=recvonly",
  "a=rtpmap:102 H264/90000",
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  "",
].join("\r\n");
