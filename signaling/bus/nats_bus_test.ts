/**
 * What only the NATS bus has: credentials and TLS, a server that is down at
 * start or goes away (health for /readyz, fail-fast requests), and what
 * arrives from outside vigil on its subjects. The shared behaviour is in
 * contract_test.ts.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { BusError, type Json, type RequestTopic, type Topic } from "./bus.ts";
import { NatsBus } from "./nats_bus.ts";
import { encodeJson } from "./nats_codec.ts";
import { startNats } from "../../tests/helpers/cluster/nats_server.ts";
import { ignoreUnlessInstalled } from "../../tests/helpers/cluster/requirements.ts";
import { freePort } from "../../tests/helpers/cluster/service.ts";

async function eventually(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const quiet = () => {};
const topic = <T extends Json>(name: string) => ({ name }) as Topic<T>;
const rr = <Q extends Json, R extends Json>(name: string) => ({ name }) as RequestTopic<Q, R>;

Deno.test({
  name: "NATS bus: TLS and password; clear errors without secrets",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async (t) => {
    await using nats = await startNats({ auth: true, tls: true });
    await t.step("TLS + user/password connect and work", async () => {
      const bus = await NatsBus.connect({
        servers: nats.url,
        user: nats.user,
        password: nats.password,
        caPem: nats.caPem,
        log: quiet,
      });
      try {
        const echo = rr<string, string>("t.echo");
        bus.respond(echo, (s) => s.toUpperCase());
        assert.equal(await bus.request(echo, "abc", 2_000), "ABC");
        assert.equal(bus.health().state, "connected");
        assert.equal(bus.health().server, `127.0.0.1:${nats.port}`);
      } finally {
        await bus.close();
      }
      assert.equal(bus.health().state, "closed");
    });

    await t.step("a wrong password: the error names the server, not the password", async () => {
      const password = "definitely-wrong-password";
      const err = await NatsBus.connect({
        servers: nats.url,
        user: nats.user,
        password,
        caPem: nats.caPem,
        connectTimeoutMs: 3_000,
        log: quiet,
      }).then(() => null, (e: Error) => e);
      assert.ok(err);
      assert.match(
        err.message,
        new RegExp(`^cannot connect to NATS at ${nats.url}: .*Authorization`),
      );
      assert.ok(!err.message.includes(password));
    });
  },
});

Deno.test({
  name: "NATS bus: nobody listening at start is a clear, fast error",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async () => {
    const url = `nats://127.0.0.1:${freePort()}`;
    await assert.rejects(
      NatsBus.connect({ servers: url, connectTimeoutMs: 2_000, log: quiet }),
      (e: Error) => e.message.startsWith(`cannot connect to NATS at ${url}: `),
    );
  },
});

Deno.test({
  name: "NATS bus: an outage shows in health, requests fail fast, all recovers",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async () => {
    await using nats = await startNats();
    const logs: string[] = [];
    const bus = await NatsBus.connect({ servers: nats.url, log: (l) => logs.push(l) });
    const states: string[] = [];
    bus.onStateChange((h) => states.push(h.state));
    try {
      const inc = rr<number, number>("t.inc");
      bus.respond(inc, (n) => n + 1);
      assert.equal(await bus.request(inc, 1, 5_000), 2);
      await nats.stop({ kill: true });
      await eventually("reconnecting", () => bus.health().state === "reconnecting");
      for (let i = 0; i < 3; i++) bus.publish(topic<number>("t.during"), i); // dropped, not queued
      assert.equal(bus.health().dropped, 3);
      await assert.rejects(
        bus.request(inc, 1, 60_000),
        (e) => e instanceof BusError && e.code === "no_responder" && /reconnecting/.test(e.message),
      );
      await nats.start();
      await eventually("connected again", () => bus.health().state === "connected", 10_000);
      assert.equal(bus.health().reconnects, 1);
      assert.equal(await bus.request(inc, 1, 5_000), 2);
      assert.ok(logs.some((l) => /lost NATS/.test(l)), logs.join("\n"));
      assert.ok(
        logs.some((l) => /reconnected to NATS .*; 3 messages dropped/.test(l)),
        logs.join("\n"),
      );
      assert.deepEqual(states, ["reconnecting", "connected"]);
    } finally {
      await bus.close();
    }
  },
});

Deno.test({
  name: "NATS bus: foreign traffic on vigil's subjects (junk, bad topics)",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async (t) => {
    await using nats = await startNats();
    const logs: string[] = [];
    const a = await NatsBus.connect({ servers: nats.url, log: (l) => logs.push(l) });
    const raw = await connect({ servers: nats.url });
    try {
      await t.step(
        "a message that is not JSON is dropped and logged; the next arrives",
        async () => {
          const got: Json[] = [];
          a.subscribe(topic<Json>("t.junk"), (m) => got.push(m));
          await a.flush();
          raw.publish("vigil.t.junk", "not json");
          raw.publish("vigil.t.junk", encodeJson({ ok: 1 }));
          await raw.flush();
          await eventually("the JSON message", () => got.length === 1);
          assert.deepEqual(got, [{ ok: 1 }]);
          assert.ok(logs.some((l) => /non-JSON message on t\.junk/.test(l)), logs.join("\n"));
        },
      );

      await t.step("a reply that is not vigil's envelope rejects the request", async () => {
        const sub = raw.subscribe("vigil.t.foreign", {
          callback: (_err, msg) => {
            msg.respond("garbage");
          },
        });
        await raw.flush();
        await assert.rejects(a.request(rr<Json, Json>("t.foreign"), {}, 2_000), /not JSON/);
        sub.unsubscribe();
      });

      await t.step("a topic NATS cannot carry is refused", () => {
        for (const bad of ["a b", "cam.*", "cam.>", "", "a..b", "_inbox"]) {
          assert.throws(() => a.publish(topic<number>(bad), 1), TypeError, bad);
        }
      });
    } finally {
      await raw.close();
      await a.close();
    }
  },
});
