/**
 * The event bus on NATS, for several signaling nodes: the same
 * {@linkcode EventBus} as {@linkcode InProcessBus}, with JSON messages.
 *
 * - `publish`/`subscribe`: plain NATS subjects (`<prefix>.<topic>`); every
 *   subscribing node gets every message, in publish order per publisher.
 * - `respond`/`request`: NATS request/reply. Responders subscribe in a queue
 *   group, so one of several answers each request. A request to a subject
 *   with no subscriber gets NATS's "no responders" status at once (no waiting
 *   for the timeout): that is {@linkcode BusError} `no_responder`, as is a bus
 *   that is down; no reply in time is `timeout`. A responder's error returns
 *   as an error reply and rejects the request with its message.
 * - Reconnects: unlimited attempts with backoff (100 ms doubling to 2 s,
 *   jittered); NATS restores the subscriptions; a ping every 2 s finds a dead
 *   server. While disconnected, `request` fails fast (`no_responder`: unreachable),
 *   `publish` drops (and counts); {@linkcode NatsBus.health} tells `/readyz`
 *   the state and {@linkcode NatsBus.onStateChange} when to resynchronize.
 * - Server names are not resolved by the client (`resolve: false`): its own
 *   lookup would need a grant of the bare name (every port); the socket
 *   connects to the name under the host:port grant alone (cluster_grants.ts).
 *
 * @example
 * ```ts
 * const bus = await NatsBus.connect({ servers: "tls://nats.internal:4222", user: "vigil",
 *   password: await Deno.readTextFile("/etc/vigil/nats.password"), caPem });
 * bus.respond(topics.offer("cam1"), (o) => ({ sdp: "…" }));
 * await bus.request(topics.offer("cam1"), { sessionId, sdp: "…", viewer: "alice" }, 10_000);
 * bus.health(); // { state: "connected", server: "nats.internal:4222", … }
 * await bus.close();
 * ```
 * @module
 */
import {
  connect,
  type Msg,
  type NatsConnection,
  nkeyAuthenticator,
  type Subscription,
} from "@nats-io/transport-node";
import {
  BusError,
  type EventBus,
  type Handler,
  type Json,
  type RequestTopic,
  type Responder,
  type Topic,
} from "./bus.ts";
import {
  busErrorOf,
  checkPrefix,
  decodeJson,
  decodeReply,
  encodeJson,
  encodeReply,
  reconnectDelayMs,
  subjectOf,
} from "./nats_codec.ts";

/** Options of {@linkcode NatsBus.connect}. */
export interface NatsBusOptions {
  /** `nats://host:port` or `tls://host:port`; several for a NATS cluster. */
  servers: string | string[];
  user?: string;
  password?: string;
  /** An nkey user's seed (`SU…`), instead of user/password. */
  nkeySeed?: string;
  /** CA (PEM) of the NATS server certificate; TLS is then required. */
  caPem?: string;
  /** Subject prefix (default `vigil`), so deployments can share a NATS. */
  prefix?: string;
  /** This node's id, in the connection name (default random). */
  nodeId?: string;
  /** Limit for the first connection (default 10 s); later ones retry forever. */
  connectTimeoutMs?: number;
  /** Client ping interval (default 2000 ms); 2 missed pongs = a dead server. */
  pingIntervalMs?: number;
  /** Where state changes and handler failures are logged (default console.error). */
  log?: (line: string) => void;
}

/** Connection state, for a readiness check. */
export interface BusHealth {
  state: "connected" | "reconnecting" | "closed";
  /** The server connected to (host:port), when connected. */
  server?: string;
  /** When the state last changed (ms since the epoch). */
  since: number;
  /** Successful reconnects so far. */
  reconnects: number;
  /** Messages published while disconnected, dropped (see {@linkcode NatsBus.publish}). */
  dropped: number;
  /** The last connection error, without credentials. */
  lastError?: string;
}

const QUEUE = "responders";

function unsubscribe(sub: Subscription): void {
  try {
    sub.unsubscribe();
  } catch {
    // the connection is closed: nothing to stop
  }
}

/** The NATS implementation of {@linkcode EventBus}; see the module doc. */
export class NatsBus implements EventBus {
  readonly nodeId: string;
  #nc: NatsConnection;
  #prefix: string;
  #log: (line: string) => void;
  /** Topic → this connection's responder and its queue subscription. */
  #local = new Map<string, { responder: Responder<unknown, unknown>; sub: Subscription }>();
  #health: BusHealth;
  #listeners = new Set<(health: BusHealth) => void>();
  #droppedInOutage = 0;
  #backoff: { attempt: number };

  private constructor(nc: NatsConnection, o: {
    prefix: string;
    nodeId: string;
    log: (line: string) => void;
    backoff: { attempt: number };
  }) {
    this.#nc = nc;
    this.#backoff = o.backoff;
    this.#prefix = o.prefix;
    this.nodeId = o.nodeId;
    this.#log = o.log;
    this.#health = {
      state: "connected",
      server: nc.getServer(),
      since: Date.now(),
      reconnects: 0,
      dropped: 0,
    };
    this.#watchStatus().catch((err) => this.#log(`bus: status watch ended: ${err.message}`));
  }

  /** Connects (throws a clear error, without credentials, if the first connection fails). */
  static async connect(o: NatsBusOptions): Promise<NatsBus> {
    const prefix = checkPrefix(o.prefix ?? "vigil");
    const nodeId = o.nodeId ?? crypto.randomUUID();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(nodeId)) {
      throw new TypeError(`bus: invalid node id "${nodeId}"`);
    }
    const backoff = { attempt: 0 };
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: o.servers,
        user: o.user,
        pass: o.password,
        authenticator: o.nkeySeed
          ? nkeyAuthenticator(new TextEncoder().encode(o.nkeySeed.trim()))
          : undefined,
        tls: o.caPem ? { ca: o.caPem } : undefined,
        resolve: false,
        name: `vigil-${nodeId}`,
        timeout: o.connectTimeoutMs ?? 10_000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => reconnectDelayMs(++backoff.attempt),
        pingInterval: o.pingIntervalMs ?? 2_000,
        maxPingOut: 2,
      });
    } catch (err) {
      throw new Error(`cannot connect to NATS at ${String(o.servers)}: ${(err as Error).message}`);
    }
    return new NatsBus(nc, {
      prefix,
      nodeId,
      log: o.log ?? ((line) => console.error(line)),
      backoff,
    });
  }

  /**
   * Publishes a message. While the bus is down it is dropped and counted, not
   * queued: memory stays bounded in a long outage, and no burst of stale
   * candidates or presence follows the reconnect. What must not be lost
   * (revocations) is in the store as well; {@linkcode onStateChange} tells
   * when to re-read it.
   */
  publish<T extends Json>(topic: Topic<T>, message: T): void {
    const subject = subjectOf(this.#prefix, topic.name);
    if (this.#health.state !== "connected") {
      this.#health.dropped++;
      if (this.#droppedInOutage++ === 0) this.#log("bus: down; dropping published messages");
      return;
    }
    this.#nc.publish(subject, encodeJson(message));
  }

  /** Calls `listener` on every state change (e.g. resync after `connected`); returns an unsubscribe. */
  onStateChange(listener: (health: BusHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  subscribe<T extends Json>(topic: Topic<T>, handler: Handler<T>): () => void {
    const sub = this.#nc.subscribe(subjectOf(this.#prefix, topic.name), {
      callback: (err, msg) => {
        if (err) return;
        let message: T;
        try {
          message = decodeJson(msg.data) as T;
        } catch {
          this.#log(`bus: dropped a non-JSON message on ${topic.name}`);
          return;
        }
        try {
          handler(message);
        } catch (e) {
          this.#log(`bus: handler for ${topic.name} failed: ${(e as Error).message}`);
        }
      },
    });
    return () => unsubscribe(sub);
  }

  respond<Q extends Json, R extends Json>(
    topic: RequestTopic<Q, R>,
    responder: Responder<Q, R>,
  ): () => void {
    const name = topic.name;
    const subject = subjectOf(this.#prefix, name);
    const r = responder as Responder<unknown, unknown>;
    const previous = this.#local.get(name);
    if (previous) unsubscribe(previous.sub);
    const sub = this.#nc.subscribe(subject, {
      queue: QUEUE,
      callback: (err, msg) => {
        if (!err) void this.#answer(name, r, msg);
      },
    });
    this.#local.set(name, { responder: r, sub });
    return () => {
      const cur = this.#local.get(name);
      if (cur?.responder !== r) return;
      unsubscribe(cur.sub);
      this.#local.delete(name);
    };
  }

  async request<Q extends Json, R extends Json>(
    topic: RequestTopic<Q, R>,
    request: Q,
    timeoutMs: number,
  ): Promise<R> {
    const subject = subjectOf(this.#prefix, topic.name);
    if (this.#health.state !== "connected") {
      throw new BusError("no_responder", `bus ${this.#health.state}: cannot reach ${topic.name}`);
    }
    let msg: Msg;
    try {
      msg = await this.#nc.request(subject, encodeJson(request), { timeout: timeoutMs });
    } catch (err) {
      throw busErrorOf(topic.name, err, timeoutMs);
    }
    const reply = decodeReply(msg.data);
    if (!reply.ok) throw new Error(reply.error);
    return reply.value as R;
  }

  /** Connection state for `/readyz` (ready = `state === "connected"`). */
  health(): BusHealth {
    return { ...this.#health };
  }

  /** Resolves once the server has processed everything sent so far (e.g. subscriptions). */
  async flush(): Promise<void> {
    await this.#nc.flush();
  }

  /** Lets pending messages out, and disconnects. */
  async close(): Promise<void> {
    if (this.#nc.isClosed()) return;
    if (this.#health.state === "connected") await this.#nc.drain().catch(() => {});
    await this.#nc.close();
    this.#setState("closed");
  }

  async #answer(topic: string, responder: Responder<unknown, unknown>, msg: Msg): Promise<void> {
    let reply: Uint8Array;
    try {
      const request = decodeJson(msg.data);
      reply = encodeReply({ ok: true, value: await responder(request) });
    } catch (err) {
      reply = encodeReply({ ok: false, error: (err as Error).message ?? String(err) });
    }
    try {
      if (!msg.respond(reply)) this.#log(`bus: a request on ${topic} had no reply subject`);
    } catch (err) {
      this.#log(`bus: reply on ${topic} failed: ${(err as Error).message}`);
    }
  }

  #setState(state: BusHealth["state"], extra: Partial<BusHealth> = {}): void {
    const server = state === "connected" ? this.#nc.getServer() : undefined;
    this.#health = { ...this.#health, ...extra, state, server, since: Date.now() };
    for (const l of this.#listeners) {
      try {
        l(this.health());
      } catch (err) {
        this.#log(`bus: state listener failed: ${(err as Error).message}`);
      }
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === "disconnect" || s.type === "staleConnection") {
        if (this.#health.state === "connected") {
          this.#setState("reconnecting");
          this.#log(`bus: lost NATS (${s.type}); reconnecting`);
        }
      } else if (s.type === "reconnect") {
        this.#backoff.attempt = 0;
        this.#setState("connected", { reconnects: this.#health.reconnects + 1 });
        const dropped = this.#droppedInOutage ? `; ${this.#droppedInOutage} messages dropped` : "";
        this.#droppedInOutage = 0;
        this.#log(`bus: reconnected to NATS at ${this.#nc.getServer()}${dropped}`);
      } else if (s.type === "error") {
        this.#health.lastError = String((s as { error?: unknown }).error ?? "error");
      }
    }
  }
}
