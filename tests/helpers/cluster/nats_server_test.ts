import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { clientPortFromPortsFile, natsConfig } from "./nats_config.ts";
import { startNats } from "./nats_server.ts";
import { ignoreUnlessInstalled } from "./requirements.ts";

Deno.test("nats config: checked values, auth and TLS blocks", () => {
  const text = natsConfig({
    port: -1,
    portsFileDir: "/tmp/x",
    auth: { user: "vigil", password: "abc_DEF-123" },
    tls: { certFile: "/tmp/x/s.pem", keyFile: "/tmp/x/s.key" },
  });
  assert.match(text, /^host: "127\.0\.0\.1"$/m);
  assert.match(text, /^port: -1$/m);
  assert.match(text, /^ {2}password: "abc_DEF-123"$/m);
  assert.match(text, /^ {2}cert_file: "\/tmp\/x\/s\.pem"$/m);
  assert.throws(() => natsConfig({ port: 1, auth: { user: "u", password: 'x"\n}' } }), RangeError);
  assert.throws(() => natsConfig({ port: 70000 }), RangeError);
  assert.equal(clientPortFromPortsFile('{"nats":["nats://127.0.0.1:4222"]}'), 4222);
  assert.equal(clientPortFromPortsFile('{"nats":["tls://127.0.0.1:34567"]}'), 34567);
  assert.throws(() => clientPortFromPortsFile("{}"));
});

async function pingPong(nc: NatsConnection, subject: string): Promise<void> {
  const got: string[] = [];
  const sub = nc.subscribe(`${subject}.events`, {
    callback: (_e, m) => {
      got.push(m.string());
    },
  });
  const svc = nc.subscribe(`${subject}.svc`, {
    callback: (_e, m) => {
      m.respond(`re:${m.string()}`);
    },
  });
  await nc.flush();
  nc.publish(`${subject}.events`, "one");
  nc.publish(`${subject}.events`, "two");
  const reply = await nc.request(`${subject}.svc`, "ping", { timeout: 2000 });
  assert.equal(reply.string(), "re:ping");
  await nc.flush();
  assert.deepEqual(got, ["one", "two"]);
  sub.unsubscribe();
  svc.unsubscribe();
}

Deno.test({
  name: "nats-server: pub/sub and request/reply, plain and with TLS + password",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async (t) => {
    await t.step("plain", async () => {
      await using nats = await startNats();
      const nc = await connect({ servers: nats.url });
      try {
        await pingPong(nc, "plain");
      } finally {
        await nc.close();
      }
    });

    await t.step("TLS + user/password: right credentials work, others are refused", async () => {
      await using nats = await startNats({ auth: true, tls: true });
      assert.match(nats.url, /^tls:\/\/127\.0\.0\.1:\d+$/);
      for (const f of [nats.passwordFile!, nats.configFile]) {
        assert.equal((await Deno.stat(f)).mode! & 0o777, 0o600, f);
      }
      const nc = await connect({
        servers: nats.url,
        user: nats.user,
        pass: await Deno.readTextFile(nats.passwordFile!),
        tls: { ca: nats.caPem },
      });
      try {
        assert.equal(nc.info?.tls_required, true);
        await pingPong(nc, "secure");
      } finally {
        await nc.close();
      }
      const base = { servers: nats.url, reconnect: false, timeout: 3000 };
      await assert.rejects(
        connect({ ...base, user: nats.user, pass: "wrong", tls: { ca: nats.caPem } }),
        /Authorization Violation/,
      );
      await assert.rejects(
        connect({ ...base, user: nats.user, pass: nats.password }),
        /certificate/,
        "a server certificate from an unknown CA is refused",
      );
    });

    await t.step("stop and start on the same port: the client reconnects", async () => {
      await using nats = await startNats();
      const nc = await connect({
        servers: nats.url,
        reconnectTimeWait: 100,
        maxReconnectAttempts: -1,
      });
      try {
        const events: string[] = [];
        (async () => {
          for await (const s of nc.status()) events.push(s.type);
        })();
        await nats.stop();
        await nats.start();
        const deadline = Date.now() + 10_000;
        while (!events.includes("reconnect") && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(events.includes("disconnect"), events.join(","));
        assert.ok(events.includes("reconnect"), events.join(","));
        await pingPong(nc, "again");
      } finally {
        await nc.close();
      }
    });
  },
});
