import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { adminFlags, parseAdminArgs } from "./options.ts";

Deno.test("admin options: --data-dir=X and --data-dir X give the same flags", () => {
  const a = parseAdminArgs(["device:list", "--data-dir=/tmp/x"], null);
  const b = parseAdminArgs(["device:list", "--data-dir", "/tmp/x"], null);
  assert.equal(a.dataDir, "/tmp/x");
  assert.deepEqual(adminFlags(a), adminFlags(b));
  assert.deepEqual(adminFlags(a), [
    "--allow-read=/tmp/x",
    "--allow-write=/tmp/x",
    "--allow-sys=hostname",
  ]);
});

Deno.test("admin options: the server's config file names the data dir and token lifetime", () => {
  const file = JSON.stringify({ dataDir: "/srv/vigil", enrollTokenTtlMs: "1h", port: 9443 });
  const o = parseAdminArgs(["device:add", "cam", "--config=/etc/vigil.json"], file);
  assert.equal(o.command, "device:add");
  assert.deepEqual(o.positionals, ["cam"]);
  assert.equal(o.dataDir, "/srv/vigil");
  assert.equal(o.ttlMs, 3_600_000);
  assert.equal(o.server.port, 9443);
  assert.deepEqual(adminFlags(o), [
    "--allow-read=/srv/vigil,/etc/vigil.json",
    "--allow-write=/srv/vigil",
    "--allow-sys=hostname",
  ]);
  const over = parseAdminArgs(
    ["device:add", "cam", "--config", "/etc/vigil.json", "--data-dir", "/d", "--ttl", "5m"],
    file,
  );
  assert.equal(over.dataDir, "/d", "--data-dir wins");
  assert.equal(over.ttlMs, 300_000, "--ttl wins");
  assert.equal(parseAdminArgs(["device:add", "cam"], null).ttlMs, 15 * 60_000);
});

Deno.test("admin options: bad input is a usage error", () => {
  assert.throws(() => parseAdminArgs(["device:add", "--ttl", "soon"], null), UsageError);
  assert.throws(() => parseAdminArgs(["device:list", "--bogus"], null), UsageError);
  assert.throws(
    () => parseAdminArgs(["device:list", "--config", "c.json"], '{"nope": 1}'),
    /c\.json: unknown setting "nope"/,
  );
  assert.equal(parseAdminArgs([], null).command, "");
});

Deno.test("admin options: a cluster store's TLS files, from flags or the config, are read-only grants", () => {
  const store = "postgres://vigil@10.0.0.6:5432/vigil";
  const config = JSON.stringify({
    store,
    storeCaFile: "/etc/vigil/pg-ca.pem",
    kekFile: "/run/kek",
    bus: "nats://n:4222",
  });
  const o = parseAdminArgs(
    ["user:list", "--config=/etc/vigil.json", "--store-password-file=/run/pg", "--data-dir=/d"],
    config,
  );
  assert.equal(o.storeCaFile, "/etc/vigil/pg-ca.pem");
  const flags = adminFlags(o);
  assert.deepEqual(flags.slice(0, 3), [
    "--allow-net=10.0.0.6:5432",
    "--allow-read=/d,/etc/vigil.json,/run/pg,/run/kek,/etc/vigil/pg-ca.pem",
    "--allow-write=/d",
  ]);
  const cert = parseAdminArgs([
    "user:list",
    `--store=${store}`,
    "--store-password-file=/run/pg",
    "--store-cert-file=/etc/c.pem",
    "--store-key-file=/run/c.key",
    "--data-dir=/d",
  ], null);
  assert.equal(adminFlags(cert)[1], "--allow-read=/d,/run/pg,/etc/c.pem,/run/c.key");
  assert.throws(
    () =>
      parseAdminArgs(
        ["user:list", `--store=${store}?sslmode=disable`, "--store-ca-file=/ca"],
        null,
      ),
    /sslmode=disable contradicts --store-ca-file/,
  );
  assert.throws(
    () => parseAdminArgs(["user:list", "--store-tls=on"], null),
    /require or verify-full/,
  );
});

Deno.test("admin options: --remote grants the server's host:port and the named files only", () => {
  const o = parseAdminArgs(
    ["device:list", "--remote", "https://cams.example.lan:8443", "--login", "root"],
    null,
  );
  assert.deepEqual(o.remote, {
    url: "https://cams.example.lan:8443",
    hostPort: "cams.example.lan:8443",
    caFile: null,
    login: "root",
    loginPasswordFile: null,
    tokenFile: null,
  });
  assert.deepEqual(adminFlags(o), ["--allow-net=cams.example.lan:8443"]);
  const t = parseAdminArgs(
    ["audit:list", "--remote=https://cams.example.lan", "--token-file=/t", "--ca-file=/ca.pem"],
    null,
  );
  assert.equal(t.remote?.hostPort, "cams.example.lan:443");
  assert.deepEqual(adminFlags(t), ["--allow-net=cams.example.lan:443", "--allow-read=/ca.pem,/t"]);
  assert.equal(parseAdminArgs(["device:list"], null).remote, null);
});

Deno.test("admin options: --remote misuse is a usage error that says what is wrong", () => {
  const bad: [string[], RegExp][] = [
    [["device:list", "--remote", "http://h:1", "--login", "r"], /https/],
    [["device:list", "--remote", "https://u:p@h", "--login", "r"], /without a path or credentials/],
    [["device:list", "--remote", "https://h/api", "--login", "r"], /without a path/],
    [["device:list", "--remote", "nope", "--login", "r"], /not a URL/],
    [["device:list", "--remote", "https://h"], /one of --login NAME or --token-file/],
    [["device:list", "--remote", "https://h", "--login", "r", "--token-file", "t"], /one of/],
    [["device:list", "--login", "r"], /--login goes with --remote/],
    [
      ["device:list", "--remote", "https://h", "--token-file", "t", "--login-password-file", "p"],
      /goes with --login/,
    ],
    [["keys:rotate", "--remote", "https://h", "--login", "r"], /runs on the server host/],
    [["session:list"], /asks a running server/],
    [["audit:list", "--remote", "https://h", "--login", "r", "--limit", "1001"], /1 to 1000/],
  ];
  for (const [argv, message] of bad) {
    assert.throws(() => parseAdminArgs(argv, null), (e: Error) => {
      assert.ok(e instanceof UsageError, argv.join(" "));
      assert.match(e.message, message, argv.join(" "));
      return true;
    });
  }
});
