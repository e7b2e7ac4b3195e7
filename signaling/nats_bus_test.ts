/**
 * What only the NATS bus has: credentials and TLS, a server that is down at
 * start or goes away (health for /readyz, fail-fast requests), and the
 * cluster-wide responder directory. The shared behaviour is in
 * bus_contract_test.ts.
 */
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { BusError } from "./bus.ts";
import { NatsBus } from "./nats_bus.ts";
import { encodeJson } from "./nats_bus_codec.ts";
import { startNats } from "../tests/helpers/cluster/nats_server.ts";
import { ignoreUnlessInstalled } from "../tests/helpers/cluster/requirements.ts";
import { freePort } from "../tests/helpers/cluster/service.ts";

async function eventually(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const quiet = () => {};

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
        bus.respond<string, string>("t.echo", (s) => s.toUpperCase());
        assert.equal(await bus.request("t.echo", "abc", 2_000), "ABC");
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
      bus.respond<number, number>("t.inc", (n) => n + 1);
      assert.equal(bus.hasResponder("t.inc"), true);
      await nats.stop({ kill: true });
      await eventually("reconnecting", () => bus.health().state === "reconnecting");
      for (let i = 0; i < 3; i++) bus.publish("t.during", i); // dropped, not queued
      assert.equal(bus.health().dropped, 3);
      assert.equal(bus.hasResponder("t.inc"), false, "unreachable while the bus is down");
      await assert.rejects(
        bus.request("t.inc", 1, 60_000),
        (e) => e instanceof BusError && e.code === "no_responder" && /reconnecting/.test(e.message),
      );
      await nats.start();
      await eventually("connected again", () => bus.health().state === "connected", 10_000);
      assert.equal(bus.health().reconnects, 1);
      assert.equal(await bus.request("t.inc", 1, 5_000), 2);
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
  name: "NATS bus: the responder directory (late joiner, dead node, junk)",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async (t) => {
    await using nats = await startNats();
    // Heartbeats so rare that only the mechanism under test can explain a change.
    const a = await NatsBus.connect({ servers: nats.url, heartbeatMs: 60_000, log: quiet });
    const raw = await connect({ servers: nats.url });
    try {
      await t.step("a node that joins later learns existing responders at once", async () => {
        a.respond("camera.early.offer", () => "answer");
        const b = await NatsBus.connect({ servers: nats.url, heartbeatMs: 60_000, log: quiet });
        try {
          await eventually("b sees a's responder", () => b.hasResponder("camera.early.offer"));
        } finally {
          await b.close();
        }
      });

      await t.step("a node that dies without a word expires after its TTL", async () => {
        const c = await NatsBus.connect({ servers: nats.url, heartbeatMs: 100, log: quiet });
        try {
          await c.flush(); // its directory subscription is in place before the ghost speaks
          raw.publish(
            "vigil._responders",
            encodeJson({
              v: 1,
              node: "ghost",
              kind: "refresh",
              topics: ["camera.ghost.offer"],
            }),
          );
          await eventually("c sees the ghost", () => c.hasResponder("camera.ghost.offer"));
          // No heartbeat follows: gone after 3 × 100 ms.
          await eventually("the ghost expired", () => !c.hasResponder("camera.ghost.offer"));
        } finally {
          await c.close();
        }
      });

      await t.step("a node's goodbye removes its topics at once", async () => {
        const d = await NatsBus.connect({ servers: nats.url, heartbeatMs: 60_000, log: quiet });
        d.respond("camera.leaving.offer", () => "answer");
        await eventually("a sees d's responder", () => a.hasResponder("camera.leaving.offer"));
        await d.close();
        await eventually("a saw the goodbye", () => !a.hasResponder("camera.leaving.offer"));
      });

      await t.step("junk on the directory subject changes nothing", async () => {
        for (const junk of ["not json", "{}", '{"v":2}', '{"v":1,"node":"x","kind":"boom"}']) {
          raw.publish("vigil._responders", junk);
        }
        raw.publish(
          "vigil._responders",
          encodeJson({
            v: 1,
            node: "x",
            kind: "refresh",
            topics: Array.from({ length: 501 }, (_, i) => `camera.c${i}.offer`),
          }),
        );
        await raw.flush();
        await a.flush();
        assert.equal(a.hasResponder("camera.c1.offer"), false);
        assert.equal(a.hasResponder("camera.early.offer"), true);
      });

      await t.step("a topic NATS cannot carry is refused", () => {
        for (const bad of ["a b", "cam.*", "cam.>", "", "a..b", "_responders"]) {
          assert.throws(() => a.publish(bad, 1), TypeError, bad);
        }
      });
    } finally {
      await raw.close();
      await a.close();
    }
  },
});
