/**
 * The event bus: the mediator between viewers' requests and devices. Topic
 * publish/subscribe plus request/reply with a timeout, over typed topics
 * (`topics.ts`, where every topic and its message types are). Messages are
 * plain JSON data, so that a broker (NATS, later) can carry them behind the
 * same interface; {@linkcode InProcessBus}, the embedded default, copies every
 * message through JSON to behave like one.
 *
 * @example
 * ```ts
 * const bus = new InProcessBus();
 * bus.subscribe(topics.presence, (p) => console.log(p.id, p.online));
 * bus.publish(topics.presence, { id: "cam1", label: "Door", online: true, since: Date.now(), maxViewers: 4 });
 * ```
 * @module
 */

/** JSON data: what a bus message may hold. */
export type Json =
  | string
  | number
  | boolean
  | null
  | Json[]
  | { [key: string]: Json | undefined };

/** A publish/subscribe topic whose messages are `T` (make them with `topics.ts`). */
export interface Topic<T extends Json> {
  readonly name: string;
  /** Type only: never set. */
  readonly message?: T;
}

/** A request/reply topic: requests `Q`, replies `R` (one responder at a time). */
export interface RequestTopic<Q extends Json, R extends Json> {
  readonly name: string;
  /** Type only: never set. */
  readonly request?: Q;
  /** Type only: never set. */
  readonly reply?: R;
}

/** A message handler; a returned promise is not awaited by publish. */
export type Handler<T> = (message: T) => void;
/** A responder for request/reply; its resolved value is the reply. */
export type Responder<Q, R> = (request: Q) => Promise<R> | R;

/** Raised when a request gets no responder or no reply in time. */
export class BusError extends Error {
  constructor(readonly code: "no_responder" | "timeout", message: string) {
    super(message);
  }
}

/** The bus interface every implementation provides. */
export interface EventBus {
  publish<T extends Json>(topic: Topic<T>, message: T): void;
  subscribe<T extends Json>(topic: Topic<T>, handler: Handler<T>): () => void;
  /** Registers the single responder of a topic; returns an unregister function. */
  respond<Q extends Json, R extends Json>(
    topic: RequestTopic<Q, R>,
    responder: Responder<Q, R>,
  ): () => void;
  /** Sends a request; rejects with {@linkcode BusError} without a responder or reply in time. */
  request<Q extends Json, R extends Json>(
    topic: RequestTopic<Q, R>,
    request: Q,
    timeoutMs: number,
  ): Promise<R>;
}

/** A JSON copy: what a broker would deliver (and proof that it can). */
function carried<T>(message: T): T {
  return message === undefined ? message : JSON.parse(JSON.stringify(message));
}

/** In-process implementation: synchronous fan-out, messages copied through JSON. */
export class InProcessBus implements EventBus {
  #subs = new Map<string, Set<Handler<unknown>>>();
  #responders = new Map<string, Responder<unknown, unknown>>();

  publish<T extends Json>(topic: Topic<T>, message: T): void {
    for (const h of this.#subs.get(topic.name) ?? []) {
      try {
        h(carried(message));
      } catch (err) {
        console.error(`bus: handler for ${topic.name} failed: ${(err as Error).message}`);
      }
    }
  }

  subscribe<T extends Json>(topic: Topic<T>, handler: Handler<T>): () => void {
    let set = this.#subs.get(topic.name);
    if (!set) this.#subs.set(topic.name, set = new Set());
    const h = handler as Handler<unknown>;
    set.add(h);
    return () => {
      set.delete(h);
      if (set.size === 0) this.#subs.delete(topic.name);
    };
  }

  respond<Q extends Json, R extends Json>(
    topic: RequestTopic<Q, R>,
    responder: Responder<Q, R>,
  ): () => void {
    const r = responder as Responder<unknown, unknown>;
    this.#responders.set(topic.name, r);
    return () => {
      if (this.#responders.get(topic.name) === r) this.#responders.delete(topic.name);
    };
  }

  request<Q extends Json, R extends Json>(
    topic: RequestTopic<Q, R>,
    request: Q,
    timeoutMs: number,
  ): Promise<R> {
    const responder = this.#responders.get(topic.name);
    if (!responder) {
      return Promise.reject(new BusError("no_responder", `no responder for ${topic.name}`));
    }
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BusError("timeout", `no reply on ${topic.name} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      Promise.resolve()
        .then(() => responder(carried(request)))
        .then((r) => resolve(carried(r) as R), reject)
        .finally(() => clearTimeout(timer));
    });
  }
}
