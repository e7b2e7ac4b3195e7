import assert from "node:assert/strict";
import { BusError, InProcessBus } from "./bus.ts";

Deno.test("bus: publish reaches subscribers until they unsubscribe", () => {
  const bus = new InProcessBus();
  const got: number[] = [];
  const off = bus.subscribe<number>("t", (m) => got.push(m));
  bus.publish("t", 1);
  bus.publish("other", 2);
  off();
  bus.publish("t", 3);
  assert.deepEqual(got, [1]);
});

Deno.test("bus: a throwing handler does not stop the others", () => {
  const bus = new InProcessBus();
  const got: string[] = [];
  bus.subscribe("t", () => {
    throw new Error("boom");
  });
  bus.subscribe<string>("t", (m) => got.push(m));
  bus.publish("t", "x");
  assert.deepEqual(got, ["x"]);
});

Deno.test("bus: request/reply, no responder and timeout", async () => {
  const bus = new InProcessBus();
  await assert.rejects(
    bus.request("q", 1, 100),
    (e) => e instanceof BusError && e.code === "no_responder",
  );
  const off = bus.respond<number, number>("q", (n) => n * 2);
  assert.equal(await bus.request<number, number>("q", 21, 100), 42);
  assert.ok(bus.hasResponder("q"));
  off();
  assert.ok(!bus.hasResponder("q"));
  bus.respond("slow", () => new Promise(() => {}));
  await assert.rejects(
    bus.request("slow", 1, 30),
    (e) => e instanceof BusError && e.code === "timeout",
  );
});
