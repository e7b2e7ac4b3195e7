import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { parseServeArgs } from "./options.ts";
import { serverFlags } from "./flags.ts";
import { serverSettings } from "./settings.ts";

Deno.test("serve options: defaults written once, in the schema", () => {
  const { settings: s, configFile } = parseServeArgs([], null);
  assert.equal(configFile, null);
  assert.equal(s.dataDir, `${Deno.cwd()}/data`);
  assert.equal(s.host, "0.0.0.0");
  assert.deepEqual([s.port, s.devicePort], [8443, 8444]);
  assert.equal(s.deviceCertLifetimeMs, 24 * 3_600_000);
  assert.equal(s.enrollTokenTtlMs, 15 * 60_000);
  assert.deepEqual([s.accessTokenTtlMs, s.deviceTokenTtlMs], [300_000, 300_000]);
  assert.equal(s.refreshTokenTtlMs, 12 * 3_600_000);
  assert.equal(s.answerTimeoutMs, 10_000);
  assert.deepEqual([s.maxSessionsPerCamera, s.maxSessionsPerViewer], [16, 4]);
  assert.deepEqual([s.heartbeatMs, s.deviceTimeoutMs], [3_000, 10_000]);
  assert.deepEqual(s.iceServers, []);
  const { dataDir: _d, webDir: _w, ...rest } = s;
  const { dataDir: _d2, webDir: _w2, ...defaults } = serverSettings();
  assert.deepEqual(rest, defaults, "the programs and in-process servers share the defaults");
});

Deno.test("serve options: flags, a config file, and which wins", () => {
  const file = JSON.stringify({
    port: 9443,
    answerTimeoutMs: "20s",
    iceServers: [{ urls: "turn:turn.example:3478", username: "u", credential: "c" }],
  });
  const { settings: s, configFile } = parseServeArgs(
    ["--config=/etc/vigil.json", "--port", "10443", "--san", "cams.lan", "--san=192.0.2.7"],
    file,
  );
  assert.equal(configFile, "/etc/vigil.json");
  assert.equal(s.port, 10443, "flags win over the file");
  assert.equal(s.answerTimeoutMs, 20_000);
  assert.deepEqual(s.san, ["cams.lan", "192.0.2.7"]);
  assert.deepEqual(s.iceServers, [{
    urls: ["turn:turn.example:3478"],
    username: "u",
    credential: "c",
  }]);
});

Deno.test("serve options: bad settings are refused with the setting's name", () => {
  const refuses = (argv: string[], file: string | null, re: RegExp) =>
    assert.throws(
      () => parseServeArgs(argv, file),
      (e) => e instanceof UsageError && re.test(e.message),
    );
  refuses(["--tls-cert", "/c.pem"], null, /tls-key|go together/);
  refuses(["--access-token-ttl", "10m"], null, /^--access-token-ttl: must be at most 5m$/);
  refuses(["--heartbeat", "100ms"], null, /^--heartbeat: must be at least 500ms$/);
  refuses(["--heartbeat", "10s"], null, /deviceTimeoutMs: must be at least two heartbeat/);
  refuses(["--max-sessions-per-camera", "0"], null, /^--max-sessions-per-camera: /);
  refuses(["--san", "bad name"], null, /^--san: a DNS name or an IP address$/);
  refuses(["--config", "c.json"], '{"iceServers": [{"urls": "http://x"}]}', /c\.json: iceServers/);
  refuses(["--config", "c.json"], '{"auditFile": false}', /unknown setting "auditFile"/);
});

Deno.test("serverFlags: its ports, its data dir, its files, nothing else", () => {
  const flags = serverFlags(parseServeArgs(
    [
      "--data-dir=/srv/d",
      "--web-dir",
      "/srv/web",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--tls-cert=/etc/c.pem",
      "--tls-key=/etc/k.pem",
      "--config",
      "/etc/vigil.json",
    ],
    "{}",
  ));
  assert.deepEqual(flags, [
    "--allow-net=127.0.0.1,127.0.0.1:8444",
    "--allow-read=/srv/d,/srv/web,/etc/c.pem,/etc/k.pem,/etc/vigil.json",
    "--allow-write=/srv/d",
    "--allow-sys=hostname",
    "--ignore-env=WS_NO_BUFFER_UTIL,WS_NO_UTF_8_VALIDATE",
  ]);
  const both = serverFlags(parseServeArgs(["--data-dir=/d", "--web-dir=/w"], null));
  assert.equal(both[0], "--allow-net=0.0.0.0:8443,0.0.0.0:8444");
  assert.equal(both[1], "--allow-read=/d,/w");
  // The /metrics token file is read, nothing more (off without it).
  const metrics = serverFlags(
    parseServeArgs(["--data-dir=/d", "--web-dir=/w", "--metrics-token-file=/etc/m.token"], null),
  );
  assert.equal(metrics[1], "--allow-read=/d,/w,/etc/m.token");
  assert.equal(metrics.length, both.length);
});

Deno.test("serverFlags in a cluster: net to exactly the store and bus, their files, PG* ignored", () => {
  const o = parseServeArgs([
    "--data-dir=/srv/d",
    "--web-dir=/srv/w",
    "--store=postgres://vigil@db.internal:5433/vigil",
    "--store-password-file=/run/secrets/pg",
    "--kek-file=/run/secrets/kek",
    "--bus=nats://vigil@nats-1:4222,nats://vigil@nats-2:4222",
    "--node-id=a",
  ], null);
  const flags = serverFlags(o);
  assert.equal(
    flags[0],
    "--allow-net=0.0.0.0:8443,0.0.0.0:8444,db.internal:5433,nats-1:4222,nats-2:4222",
  );
  assert.equal(flags[1], "--allow-read=/srv/d,/srv/w,/run/secrets/pg,/run/secrets/kek");
  assert.ok(flags.includes("--allow-env=VIGIL_BUS_PASSWORD"), flags.join(" "));
  const ignored = flags.find((f) => f.startsWith("--ignore-env="))!;
  assert.match(ignored, /WS_NO_BUFFER_UTIL,.*PGPASSWORD.*PGSSL/);
  assert.ok(!flags.some((f) => f === "--allow-env" || f.startsWith("--allow-env=PG")));
});

Deno.test("serverFlags with store TLS: read of its CA, certificate and key files, nothing more", () => {
  const cluster = [
    "--data-dir=/srv/d",
    "--web-dir=/srv/w",
    "--store=postgres://vigil@db.internal:5433/vigil",
    "--store-password-file=/run/secrets/pg",
    "--kek-file=/run/secrets/kek",
    "--bus=nats://nats-1:4222",
  ];
  const plain = serverFlags(parseServeArgs(cluster, null));
  const tls = serverFlags(parseServeArgs([
    ...cluster,
    "--store-ca-file=/etc/vigil/pg-ca.pem",
    "--store-cert-file=/etc/vigil/pg-client.pem",
    "--store-key-file=/run/secrets/pg-client.key",
  ], null));
  assert.equal(
    tls[1],
    "--allow-read=/srv/d,/srv/w,/run/secrets/pg,/run/secrets/kek," +
      "/etc/vigil/pg-ca.pem,/etc/vigil/pg-client.pem,/run/secrets/pg-client.key",
  );
  assert.deepEqual(tls.filter((f) => f !== tls[1]), plain.filter((f) => f !== plain[1]));
  // A CA bundle alone adds exactly that file; --store-tls alone reads nothing.
  const ca = serverFlags(parseServeArgs([...cluster, "--store-ca-file", "pg-ca.pem"], null));
  assert.equal(ca[1], `${plain[1]},${Deno.cwd()}/pg-ca.pem`);
  assert.deepEqual(
    serverFlags(parseServeArgs([...cluster, "--store-tls=verify-full"], null)),
    plain,
  );
});

Deno.test("cluster settings: store TLS contradictions are refused in one line", () => {
  const bad = (argv: string[], re: RegExp) =>
    assert.throws(() => parseServeArgs(argv, null), (e: Error) => {
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  const base = ["--kek-file=/k", "--bus=nats://n:4222"];
  bad(
    ["--store=postgres://v@h/d?sslmode=disable", "--store-ca-file=/ca", ...base],
    /^--store: the --store URL's sslmode=disable contradicts --store-ca-file$/,
  );
  bad(
    ["--store=postgres://v@h/d?sslmode=require", "--store-tls=verify-full", ...base],
    /contradicts the --store URL's sslmode=require/,
  );
  bad(["--store=postgres://v@h/d", "--store-tls=require", "--store-ca-file=/ca", ...base], /skips/);
  bad(["--store=postgres://v@h/d", "--store-cert-file=/c", ...base], /go together/);
  bad(["--store=postgres://v@h/d?sslmode=prefer", ...base], /falls back to clear text/);
  bad(["--store=postgres://v@h/d", "--store-tls=verify-ca", ...base], /^--store-tls: /);
  bad(["--store-ca-file=/ca"], /--store-ca-file needs --store/);
  const { settings } = parseServeArgs(
    ["--store=postgres://v@h/d?sslmode=verify-full", "--store-ca-file=/ca", ...base],
    null,
  );
  assert.equal(settings.storeCaFile, "/ca");
});

Deno.test("cluster settings: passwords never in URLs; a store needs a KEK and a bus", () => {
  const bad = (argv: string[], re: RegExp) => assert.throws(() => parseServeArgs(argv, null), re);
  bad(["--store=postgres://v:pw@h/d", "--kek-file=/k", "--bus=nats://n:4222"], /password/);
  bad(["--store=postgres://v@h/d", "--bus=nats://n:4222"], /needs --kek-file/);
  bad(["--store=postgres://v@h/d", "--kek-file=/k"], /needs --bus/);
  bad(["--bus=nats://u:pw@n:4222"], /must not hold a password/);
  const { settings } = parseServeArgs(["--bus=nats://n:4222"], null);
  assert.equal(settings.bus, "nats://n:4222");
  assert.equal(settings.store, null, "a bus alone keeps SQLite (nodes on one host)");
});

Deno.test("cluster settings: an nkey seed file instead of a bus user; read, never in argv", () => {
  const o = parseServeArgs(["--bus=nats://n:4222", "--bus-nkey-file=/run/secrets/nkey"], null);
  const flags = serverFlags(o);
  assert.ok(flags.some((f) => f.startsWith("--allow-read=") && f.includes("/run/secrets/nkey")));
  assert.ok(!flags.some((f) => f.includes("VIGIL_BUS_PASSWORD")), "no password env without a user");
  assert.throws(
    () => parseServeArgs(["--bus=nats://u@n:4222", "--bus-nkey-file=/k"], null),
    /give one of them/,
  );
});
