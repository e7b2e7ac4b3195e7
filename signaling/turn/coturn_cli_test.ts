import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { parseTurnConfigArgs } from "./coturn_cli.ts";

Deno.test("turn:config arguments", async (t) => {
  await t.step("the deployment values, repeatable options", () => {
    const r = parseTurnConfigArgs([
      "--dir=/data/turn",
      "--realm",
      "cams.example.com",
      "--listen",
      "203.0.113.10",
      "--own",
      "10.0.0.0/24",
      "--own",
      "192.168.7.0/24",
      "--min-port",
      "49160",
      "--max-port",
      "49200",
      "--tls-cert",
      "/c.pem",
      "--tls-key",
      "/k.pem",
      "--tls-port",
      "443",
    ]);
    assert.equal(r.dir, "/data/turn");
    assert.deepEqual(r.settings.listeningIps, ["203.0.113.10"]);
    assert.deepEqual(r.settings.ownAddresses, ["10.0.0.0/24", "192.168.7.0/24"]);
    assert.equal(r.settings.minPort, 49160);
    assert.deepEqual(r.settings.tls, { certFile: "/c.pem", keyFile: "/k.pem", port: 443 });
  });
  await t.step("missing or bad values are usage errors that say what is wrong", () => {
    assert.throws(() => parseTurnConfigArgs(["--realm", "x"]), (e) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /--dir is required/);
      return true;
    });
    assert.throws(
      () => parseTurnConfigArgs(["--dir", "/d", "--realm", "x", "--port", "http"]),
      /--port must be a port number/,
    );
    assert.throws(
      () => parseTurnConfigArgs(["--dir", "/d", "--realm", "x", "--tls-cert", "/c"]),
      /go together/,
    );
  });
});
