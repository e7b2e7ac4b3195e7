/**
 * One contract, every bus: the same cases run against InProcessBus and the
 * NATS bus (two connections to a real nats-server, as two nodes). A fixture
 * gives two handles on one bus (`a`, `b`: for the in-process bus the same
 * object twice), a way to let subscriptions take effect, and a broker
 * restart (nothing to restart in-process).
 */
import assert from "node:assert/strict";
import {
  BusError,
  type EventBus,
  InProcessBus,
  type Json,
  type RequestTopic,
  type Topic,
} from "./bus.ts";
import { NatsBus } from "./nats_bus.ts";
import { startNats } from "../../tests/helpers/cluster/nats_server.ts";
import { ignoreUnlessInstalled } from "../../tests/helpers/cluster/requirements.ts";

interface BusFixture {
  a: EventBus;
  b: EventBus;
  /** Resolves once every subscription made so far is in effect on both handles. */
  settle(): Promise<void>;
  /** Restarts the broker; resolves once both handles are connected again. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function eventually(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Topics of the contract (vigil's own are in topics.ts). */
const topic = <T extends Json>(name: string) => ({ name }) as Topic<T>;
const rr = <Q extends Json, R extends Json>(name: string) => ({ name }) as RequestTopic<Q, R>;

const isBusError = (code: BusError["code"]) => (e: unknown) =>
  e instanceof BusError && e.code === code;

/** An SDP-sized, JSON-only value with the awkward parts: unicode, escapes, nesting, null. */
const SAMPLE = {
  sessionId: "4f1c2a9e-0000-4000-8000-000000000001",
  sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" + "a=candidate:1 1 udp 2130706431 ...\r\n".repeat(150),
  viewer: 'Zoë 🎥 "quoted" \\ back',
  nested: { list: [1, 2.5, -3, null, true, false, "x"], empty: {}, deep: { a: [{ b: [] }] } },
};

function contract(name: string, make: () => Promise<BusFixture>, ignore = false) {
  Deno.test({
    name: `bus contract (${name})`,
    ignore,
    fn: async (t) => {
      const f = await make();
      const { a, b } = f;
      try {
        await t.step("publish reaches subscribers on every node, in order", async () => {
          const onA: number[] = [];
          const onB: number[] = [];
          const offA = a.subscribe(topic<number>("contract.order"), (n) => onA.push(n));
          const offB = b.subscribe(topic<number>("contract.order"), (n) => onB.push(n));
          await f.settle();
          for (let i = 0; i < 100; i++) a.publish(topic<Json>("contract.order"), i);
          const all = Array.from({ length: 100 }, (_, i) => i);
          await eventually("100 messages on both", () => onA.length === 100 && onB.length === 100);
          assert.deepEqual(onA, all);
          assert.deepEqual(onB, all);
          offA();
          offB();
        });

        await t.step("JSON values arrive equal (a copy on a broker)", async () => {
          const got: unknown[] = [];
          const off = b.subscribe(topic<Json>("contract.json"), (m) => got.push(m));
          await f.settle();
          a.publish(topic<Json>("contract.json"), SAMPLE);
          await eventually("the sample", () => got.length === 1);
          assert.deepEqual(got[0], SAMPLE);
          off();
        });

        await t.step("an unsubscribed handler gets nothing more; others go on", async () => {
          const gone: string[] = [];
          const kept: string[] = [];
          const off = b.subscribe(topic<string>("contract.unsub"), (m) => gone.push(m));
          const offKept = b.subscribe(topic<string>("contract.unsub"), (m) => kept.push(m));
          await f.settle();
          a.publish(topic<Json>("contract.unsub"), "first");
          await eventually("first on both", () => gone.length === 1 && kept.length === 1);
          off();
          await f.settle();
          a.publish(topic<Json>("contract.unsub"), "second");
          await eventually("second on the kept one", () => kept.length === 2);
          assert.deepEqual(gone, ["first"]);
          offKept();
        });

        await t.step("a throwing handler does not stop the others", async () => {
          const got: string[] = [];
          const errors = console.error;
          console.error = () => {};
          try {
            const off1 = b.subscribe(topic<Json>("contract.throw"), () => {
              throw new Error("boom");
            });
            const off2 = b.subscribe(topic<string>("contract.throw"), (m) => got.push(m));
            await f.settle();
            a.publish(topic<Json>("contract.throw"), "x");
            a.publish(topic<Json>("contract.throw"), "y");
            await eventually("both messages", () => got.length === 2);
            off1();
            off2();
          } finally {
            console.error = errors;
          }
          assert.deepEqual(got, ["x", "y"]);
        });

        await t.step("request/reply across nodes, JSON both ways", async () => {
          const off = a.respond(
            rr<typeof SAMPLE, { echo: typeof SAMPLE; n: number }>("contract.rr"),
            (q) => ({ echo: q, n: 42 }),
          );
          await f.settle();
          const r = await b.request(
            rr<typeof SAMPLE, { echo: typeof SAMPLE; n: number }>("contract.rr"),
            SAMPLE,
            5_000,
          );
          assert.deepEqual(r, { echo: SAMPLE, n: 42 });
          off();
        });

        await t.step(
          "a responder that returns nothing resolves the request with undefined",
          async () => {
            const off = a.respond(rr<Json, Json>("contract.void"), (() => {}) as () => Json);
            await f.settle();
            assert.equal(await b.request(rr<Json, Json>("contract.void"), {}, 5_000), undefined);
            off();
          },
        );

        await t.step("no responder: no_responder, not a timeout", async () => {
          await assert.rejects(
            b.request(rr<Json, Json>("contract.nobody"), {}, 5_000),
            isBusError("no_responder"),
          );
        });

        await t.step("a responder that never answers: timeout", async () => {
          const off = a.respond(rr<Json, Json>("contract.slow"), () => new Promise(() => {}));
          await f.settle();
          await assert.rejects(
            b.request(rr<Json, Json>("contract.slow"), {}, 150),
            isBusError("timeout"),
          );
          off();
        });

        await t.step("a failing responder rejects the request with its message", async () => {
          const off = a.respond(rr<Json, Json>("contract.fail"), () => {
            throw new Error("camera busy");
          });
          await f.settle();
          await assert.rejects(
            b.request(rr<Json, Json>("contract.fail"), {}, 5_000),
            /camera busy/,
          );
          off();
        });

        await t.step("an unregistered responder: no_responder from every node", async () => {
          const cam = rr<Json, Json>("contract.cam1.offer");
          const off = a.respond(cam, () => "answer");
          await f.settle();
          assert.equal(await b.request(cam, {}, 5_000), "answer");
          assert.equal(await a.request(cam, {}, 5_000), "answer");
          off();
          await f.settle();
          await assert.rejects(b.request(cam, {}, 5_000), isBusError("no_responder"));
          await assert.rejects(a.request(cam, {}, 5_000), isBusError("no_responder"));
        });

        await t.step("a second responder for a topic replaces the first", async () => {
          const off1 = a.respond(rr<Json, Json>("contract.replace"), () => "first");
          const off2 = a.respond(rr<Json, Json>("contract.replace"), () => "second");
          await f.settle();
          for (let i = 0; i < 5; i++) {
            assert.equal(await b.request(rr<Json, Json>("contract.replace"), {}, 5_000), "second");
          }
          off1(); // stale unregister: must not remove the second
          await f.settle();
          assert.equal(await b.request(rr<Json, Json>("contract.replace"), {}, 5_000), "second");
          off2();
        });

        await t.step(
          "500 concurrent requests from both nodes each get their own reply",
          async () => {
            const off = a.respond(
              rr<{ i: number }, { i: number; sq: number }>("contract.many"),
              async (q) => {
                await new Promise((r) => setTimeout(r, q.i % 7));
                return { i: q.i, sq: q.i * q.i };
              },
            );
            await f.settle();
            const replies = await Promise.all(
              Array.from(
                { length: 500 },
                (_, i) =>
                  (i % 2 ? a : b).request(
                    rr<{ i: number }, { i: number; sq: number }>("contract.many"),
                    { i },
                    10_000,
                  ),
              ),
            );
            replies.forEach((r, i) => assert.deepEqual(r, { i, sq: i * i }));
            off();
          },
        );

        await t.step("a broker restart mid-stream: streams and requests resume", async () => {
          const got: number[] = [];
          const off = b.subscribe(topic<number>("contract.stream"), (n) => got.push(n));
          const offR = a.respond(rr<number, number>("contract.after"), (n) => n + 1);
          await f.settle();
          let seq = 0;
          let streaming = true;
          const errors: unknown[] = [];
          const stream = (async () => {
            while (streaming) {
              try {
                a.publish(topic<Json>("contract.stream"), seq++);
              } catch (err) {
                errors.push(err);
              }
              await new Promise((r) => setTimeout(r, 5));
            }
          })();
          await eventually("the stream flows", () => got.length >= 10);
          const beforeRestart = seq;
          await f.restart();
          await eventually(
            "messages published after the restart arrive",
            () => got.some((n) => n > beforeRestart + 10),
            10_000,
          );
          streaming = false;
          await stream;
          assert.deepEqual(errors, [], "publish never throws while reconnecting");
          for (let i = 1; i < got.length; i++) {
            assert.ok(got[i] > got[i - 1], `in order, no duplicates (${got[i - 1]}, ${got[i]})`);
          }
          await f.settle();
          assert.equal(await b.request(rr<number, number>("contract.after"), 41, 5_000), 42);
          off();
          offR();
        });
      } finally {
        await f.close();
      }
    },
  });
}

contract("in-process", () => {
  const bus = new InProcessBus();
  return Promise.resolve({
    a: bus,
    b: bus,
    settle: () => Promise.resolve(),
    restart: () => Promise.resolve(),
    close: () => Promise.resolve(),
  });
});

contract("NATS, two connections", async () => {
  const nats = await startNats({ auth: true });
  const connectBus = (nodeId: string) =>
    NatsBus.connect({
      servers: nats.url,
      user: nats.user,
      password: nats.password,
      nodeId,
      log: () => {},
    });
  const a = await connectBus("node-a");
  const b = await connectBus("node-b");
  return {
    a,
    b,
    settle: async () => {
      await a.flush();
      await b.flush();
    },
    restart: async () => {
      await nats.stop();
      await eventually(
        "both see the outage",
        () => a.health().state === "reconnecting" && b.health().state === "reconnecting",
      );
      await nats.start();
      await eventually(
        "both reconnected",
        () => a.health().state === "connected" && b.health().state === "connected",
        10_000,
      );
    },
    close: async () => {
      await a.close();
      await b.close();
      await nats.close();
    },
  };
}, ignoreUnlessInstalled("nats"));
