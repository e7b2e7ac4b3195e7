/**
 * A TURN client run inside a test namespace against a real coturn. Reads
 * one JSON plan from argv[0], prints one JSON result line.
 *
 * Two clients, for two questions:
 * - "what does coturn answer?" (`allocate`, `relay`): a minimal RFC 8656
 *   client on node:dgram that builds and parses messages with werift's STUN
 *   codec (long-term credentials: USERNAME/REALM/NONCE + MESSAGE-INTEGRITY +
 *   FINGERPRINT) and reports coturn's ERROR-CODE as is. werift's own client
 *   cannot tell: it drops error responses without MESSAGE-INTEGRITY (a 401
 *   to a bad credential never has one) and just times out.
 * - "does werift's client keep a relay alive?" (`hold`): werift's
 *   `createTurnClient`, the code the publisher's ICE agent runs.
 *
 * Plans:
 * - `{ op: "allocate", server, username, password, count? }` → per allocation
 *   `{ ok: true, relayed }` or `{ ok: false, code, reason }`.
 * - `{ op: "relay", …, peers: ["ip:port"] }` → one allocation, then per peer
 *   CreatePermission (its code) and, if granted, a Send indication; `echoed`
 *   says whether the peer's answer came back as a Data indication within 2 s.
 * - `{ op: "hold", …, peer, seconds }` → werift allocation sending to `peer`
 *   every 500 ms; the seconds (since allocation) answers arrived at, and errors.
 *
 * @module
 */
import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { installTurnNonceFix } from "../../publisher/peer/turn_nonce_fix.ts";
import {
  classes,
  createTurnClient,
  makeIntegrityKey,
  Message,
  methods,
  parseMessage,
} from "werift";

interface Common {
  server: string;
  username: string;
  password: string;
}
type Plan =
  | (Common & { op: "allocate"; count?: number })
  | (Common & { op: "relay"; peers: string[] })
  | (Common & { op: "hold"; peer: string; seconds: number; nonceFix?: boolean });

type Addr = [string, number];
const hostPort = (s: string): Addr => {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), Number(s.slice(i + 1))];
};
const UDP = 0x11000000; // REQUESTED-TRANSPORT: UDP (RFC 8656 §18.7)

/** One allocation, one socket, strictly sequential requests. */
class RawTurn {
  #sock = dgram.createSocket("udp4");
  #server: Addr;
  #username: string;
  #password: string;
  #realm = "";
  #nonce: Buffer | undefined;
  #key: Buffer | undefined;
  #waiting = new Map<string, (m: Message) => void>();
  /** Data indications: peer and payload. */
  readonly data: { from: string; payload: string }[] = [];

  constructor(server: Addr, username: string, password: string) {
    this.#server = server;
    this.#username = username;
    this.#password = password;
    this.#sock.on("message", (buf: Buffer) => {
      const m = parseMessage(buf);
      if (!m) return;
      if (m.messageMethod === methods.DATA && m.messageClass === classes.INDICATION) {
        const peer = m.getAttributeValue("XOR-PEER-ADDRESS") as Addr;
        this.data.push({ from: peer.join(":"), payload: String(m.getAttributeValue("DATA")) });
        return;
      }
      this.#waiting.get(m.transactionIdHex)?.(m);
    });
  }

  async open(): Promise<void> {
    await new Promise<void>((r) => this.#sock.bind(0, () => r()));
  }

  /** Sends a request (authenticated once a realm and nonce are known), with retransmissions. */
  async #request(method: methods, attrs: [string, unknown][]): Promise<Message> {
    const m = new Message(method, classes.REQUEST);
    for (const [k, v] of attrs) m.setAttribute(k as never, v as never);
    if (this.#key && this.#nonce) {
      m.setAttribute("USERNAME", this.#username)
        .setAttribute("REALM", this.#realm)
        .setAttribute("NONCE", this.#nonce)
        .addMessageIntegrity(this.#key);
    }
    m.addFingerprint();
    const answer = new Promise<Message>((resolve) =>
      this.#waiting.set(m.transactionIdHex, resolve)
    );
    try {
      for (let attempt = 0; attempt < 6; attempt++) {
        this.#sock.send(m.bytes, this.#server[1], this.#server[0]);
        const got = await Promise.race([
          answer,
          new Promise<null>((r) => setTimeout(() => r(null), 250 * 2 ** attempt)),
        ]);
        if (got) return got;
      }
      throw new Error(`no answer from ${this.#server.join(":")}`);
    } finally {
      this.#waiting.delete(m.transactionIdHex);
    }
  }

  /** A request that learns realm/nonce from a 401 or 438 and tries once more. */
  async #authed(method: methods, attrs: [string, unknown][]): Promise<Message> {
    let res = await this.#request(method, attrs);
    const code = errorCode(res);
    if ((code === 401 && !this.#key) || code === 438) {
      this.#realm = String(res.getAttributeValue("REALM") ?? this.#realm);
      this.#nonce = res.getAttributeValue("NONCE") as Buffer;
      this.#key = makeIntegrityKey(this.#username, this.#realm, this.#password);
      res = await this.#request(method, attrs);
    }
    return res;
  }

  async allocate(): Promise<{ ok: true; relayed: string } | Failure> {
    const res = await this.#authed(methods.ALLOCATE, [["LIFETIME", 600], [
      "REQUESTED-TRANSPORT",
      UDP,
    ]]);
    if (errorCode(res) !== null) return failureOf(res);
    return { ok: true, relayed: (res.getAttributeValue("XOR-RELAYED-ADDRESS") as Addr).join(":") };
  }

  async createPermission(peer: Addr): Promise<{ ok: true } | Failure> {
    const res = await this.#authed(methods.CREATE_PERMISSION, [["XOR-PEER-ADDRESS", peer]]);
    return errorCode(res) === null ? { ok: true } : failureOf(res);
  }

  send(peer: Addr, payload: string): void {
    const m = new Message(methods.SEND, classes.INDICATION)
      .setAttribute("XOR-PEER-ADDRESS", peer)
      .setAttribute("DATA", Buffer.from(payload));
    this.#sock.send(m.addFingerprint().bytes, this.#server[1], this.#server[0]);
  }

  close(): void {
    this.#sock.close();
  }
}

type Failure = { ok: false; code: number | null; reason: string };

function errorCode(m: Message): number | null {
  if (m.messageClass !== classes.ERROR) return null;
  const v = m.getAttributeValue("ERROR-CODE") as [number, string] | undefined;
  return v ? v[0] : 0;
}

function failureOf(m: Message): Failure {
  const v = m.getAttributeValue("ERROR-CODE") as [number, string] | undefined;
  return { ok: false, code: v?.[0] ?? null, reason: String(v?.[1] ?? "") };
}

function thrown(e: unknown): Failure {
  return {
    ok: false,
    code: null,
    reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
  };
}

const plan = JSON.parse(Deno.args[0]) as Plan;

const out: unknown = await (async () => {
  const server = hostPort(plan.server);
  if (plan.op === "allocate") {
    const clients: RawTurn[] = [];
    const results = [];
    for (let i = 0; i < (plan.count ?? 1); i++) {
      const c = new RawTurn(server, plan.username, plan.password);
      clients.push(c);
      await c.open();
      results.push(await c.allocate().catch(thrown));
    }
    for (const c of clients) c.close();
    return results;
  }

  if (plan.op === "relay") {
    const c = new RawTurn(server, plan.username, plan.password);
    await c.open();
    try {
      const alloc = await c.allocate();
      if (!alloc.ok) return { error: alloc };
      const results: Record<string, unknown> = {};
      for (const peer of plan.peers) {
        const perm = await c.createPermission(hostPort(peer)).catch(thrown);
        if (!perm.ok) {
          results[peer] = { ...perm, echoed: false };
          continue;
        }
        const tag = `vigil-probe-${crypto.randomUUID()}`;
        c.send(hostPort(peer), tag);
        const deadline = performance.now() + 2_000;
        const echoed = () => c.data.some((d) => d.payload.includes(tag));
        while (performance.now() < deadline && !echoed()) {
          await new Promise((r) => setTimeout(r, 50));
        }
        results[peer] = { ok: true, echoed: echoed() };
      }
      return { relayed: alloc.relayed, results };
    } finally {
      c.close();
    }
  }

  // hold: werift's client, as the publisher's ICE agent uses it.
  if (plan.nonceFix && !installTurnNonceFix()) throw new Error("werift changed: fix not installed");
  const turn = await createTurnClient(
    { address: server, username: plan.username, password: plan.password },
    { transport: "udp" },
  );
  const t0 = performance.now();
  const answers: number[] = [];
  turn.onData.subscribe(() => answers.push(Math.round((performance.now() - t0) / 100) / 10));
  const errors: string[] = [];
  try {
    while (performance.now() < t0 + plan.seconds * 1000) {
      const at = ((performance.now() - t0) / 1000).toFixed(1);
      try {
        await Promise.race([
          turn.sendData(Buffer.from("hold"), hostPort(plan.peer)),
          new Promise((_, reject) => setTimeout(() => reject(new Error("send timed out")), 5_000)),
        ]);
      } catch (e) {
        errors.push(`${at}s ${thrown(e).reason}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return { relayed: turn.relayedAddress.join(":"), answeredAt: answers, errors };
  } finally {
    await turn.close();
  }
})().catch((e) => ({ error: thrown(e) }));

console.log(JSON.stringify(out));
// werift may leave timers behind after close; the result is out.
Deno.exit(0);
