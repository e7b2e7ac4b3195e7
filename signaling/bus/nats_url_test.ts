import assert from "node:assert/strict";
import { parseNatsUrl } from "./nats_url.ts";

Deno.test("bus URL: servers, user, TLS; refusals say why", () => {
  assert.deepEqual(parseNatsUrl("nats://vigil@n1:4222,nats://vigil@10.0.0.2"), {
    servers: ["nats://n1:4222", "nats://10.0.0.2:4222"],
    endpoints: [{ host: "n1", port: 4222 }, { host: "10.0.0.2", port: 4222 }],
    user: "vigil",
    tls: false,
  });
  assert.equal(parseNatsUrl("tls://n1:4443").tls, true);
  assert.equal(parseNatsUrl("nats://127.0.0.1:1").user, undefined);
  assert.throws(() => parseNatsUrl("nats://u:hunter2@n1"), (e: Error) => {
    assert.match(e.message, /must not hold a password/);
    assert.doesNotMatch(e.message, /hunter2/);
    return true;
  });
  assert.throws(() => parseNatsUrl("http://n1"), /nats:\/\//);
  assert.throws(() => parseNatsUrl("nats://a@n1,nats://b@n2"), /same user/);
  assert.throws(() => parseNatsUrl("nats://n1,tls://n2"), /all nats/);
  assert.throws(() => parseNatsUrl(""), /nats:\/\//);
});
