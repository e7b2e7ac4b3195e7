import assert from "node:assert/strict";
import { BusError, InProcessBus, type RequestTopic, type Topic } from "./bus.ts";
import { topics } from "./topics.ts";

const t = { name: "t" } as Topic<{ n: number }>;
const q = { name: "q" } as RequestTopic<{ n: number }, { n: number }>;

Deno.test("bus: publish reaches subscribers until they unsubscribe", () => {
  const bus = new InProcessBus();
  const got: number[] = [];
  const off = bus.subscribe(t, (m) => got.push(m.n));
  bus.publish(t, { n: 1 });
  bus.publish({ name: "other" } as Topic<{ n: number }>, { n: 2 });
  off();
  bus.publish(t, { n: 3 });
  assert.deepEqual(got, [1]);
});

Deno.test("bus: a throwing handler does not stop the others", () => {
  const bus = new InProcessBus();
  const got: number[] = [];
  bus.subscribe(t, () => {
    throw new Error("boom");
  });
  bus.subscribe(t, (m) => got.push(m.n));
  bus.publish(t, { n: 7 });
  assert.deepEqual(got, [7]);
});

Deno.test("bus: messages arrive as JSON copies, as through a broker", () => {
  const bus = new InProcessBus();
  const sent = { n: 1, when: undefined };
  let got: unknown;
  bus.subscribe(t, (m) => got = m);
  bus.publish(t, sent);
  assert.deepEqual(got, { n: 1 });
  assert.notEqual(got, sent, "a copy, not the sender's object");
});

Deno.test("bus: request/reply, no responder and timeout", async () => {
  const bus = new InProcessBus();
  await assert.rejects(
    bus.request(q, { n: 1 }, 100),
    (e) => e instanceof BusError && e.code === "no_responder",
  );
  const off = bus.respond(q, (r) => ({ n: r.n * 2 }));
  assert.deepEqual(await bus.request(q, { n: 21 }, 100), { n: 42 });
  off();
  await assert.rejects(
    bus.request(q, { n: 1 }, 100),
    (e) => e instanceof BusError && e.code === "no_responder",
  );
  bus.respond(q, () => new Promise(() => {}));
  await assert.rejects(
    bus.request(q, { n: 1 }, 30),
    (e) => e instanceof BusError && e.code === "timeout",
  );
});

Deno.test("topics: names from validated ids only", () => {
  assert.equal(topics.offer("door-1").name, "camera.door-1.offer");
  assert.equal(topics.control("door-1").name, "camera.door-1.control");
  const sid = crypto.randomUUID();
  assert.equal(topics.sessionClosed(sid).name, `session.${sid}.closed`);
  for (const bad of ["a.b", "*", ">", "", "x y", "a".repeat(65)]) {
    assert.throws(() => topics.offer(bad), /not a topic id/);
  }
});
