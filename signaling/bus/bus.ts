/**
 * The event bus: the mediator between viewers' requests and devices. Topic
 * publish/subscribe plus request/reply with a timeout. {@linkcode InProcessBus}
 * is the embedded default; a broker (NATS, Redis) can implement the same
 * interface for several server nodes.
 *
 * Topics used by vigil:
 * - `presence` — `{ id, online, since }` whenever a camera goes on/offline
 * - `camera.<id>.offer` — request `{ sessionId, sdp, viewer }`, reply `{ sdp }` or `{ error }`
 * - `camera.<id>.control` — `{ type: "candidate" | "close", sessionId, … }` toward the publisher
 * - `session.<sid>.closed` — the publisher or the server ended a session
 *
 * @example
 * ```ts
 * const bus = new InProcessBus();
 * bus.subscribe("presence", (m) => console.log(m));
 * bus.publish("presence", { id: "cam1", online: true, since: Date.now() });
 * ```
 * @module
 */

/** A message handler; a returned promise is not awaited by publish. */
export type Handler<T = unknown> = (message: T) => void;
/** A responder for request/reply; its resolved value is the reply. */
export type Responder<Q = unknown, R = unknown> = (request: Q) => Promise<R> | R;

/** Raised when a request gets no responder or no reply in time. */
export class BusError extends Error {
  constructor(readonly code: "no_responder" | "timeout", message: string) {
    super(message);
  }
}

/** The bus interface every implementation provides. */
export interface EventBus {
  publish<T>(topic: string, message: T): void;
  subscribe<T>(topic: string, handler: Handler<T>): () => void;
  /** Registers the single responder of a topic; returns an unregister function. */
  respond<Q, R>(topic: string, responder: Responder<Q, R>): () => void;
  /** Whether a responder is registered for a topic (e.g. a camera is online). */
  hasResponder(topic: string): boolean;
  request<Q, R>(topic: string, request: Q, timeoutMs: number): Promise<R>;
}

/** In-process implementation: synchronous fan-out, no serialization. */
export class InProcessBus implements EventBus {
  #subs = new Map<string, Set<Handler>>();
  #responders = new Map<string, Responder>();

  publish<T>(topic: string, message: T): void {
    for (const h of this.#subs.get(topic) ?? []) {
      try {
        h(message);
      } catch (err) {
        console.error(`bus: handler for ${topic} failed: ${(err as Error).message}`);
      }
    }
  }

  subscribe<T>(topic: string, handler: Handler<T>): () => void {
    let set = this.#subs.get(topic);
    if (!set) this.#subs.set(topic, set = new Set());
    set.add(handler as Handler);
    return () => {
      set.delete(handler as Handler);
      if (set.size === 0) this.#subs.delete(topic);
    };
  }

  respond<Q, R>(topic: string, responder: Responder<Q, R>): () => void {
    this.#responders.set(topic, responder as Responder);
    return () => {
      if (this.#responders.get(topic) === responder) this.#responders.delete(topic);
    };
  }

  hasResponder(topic: string): boolean {
    return this.#responders.has(topic);
  }

  request<Q, R>(topic: string, request: Q, timeoutMs: number): Promise<R> {
    const responder = this.#responders.get(topic);
    if (!responder) {
      return Promise.reject(new BusError("no_responder", `no responder for ${topic}`));
    }
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BusError("timeout", `no reply on ${topic} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      Promise.resolve()
        .then(() => responder(request))
        .then((r) => resolve(r as R), reject)
        .finally(() => clearTimeout(timer));
    });
  }
}
