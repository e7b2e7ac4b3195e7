import assert from "node:assert/strict";
import { haproxyConfig, type HaproxyConfigOptions } from "./haproxy_config.ts";

const base = (): HaproxyConfigOptions => ({
  statsSocket: "/tmp/vigil-cluster-haproxy-x/admin.sock",
  listeners: [
    {
      name: "device",
      bind: { host: "127.0.0.1", port: 8444 },
      check: { kind: "tcp" },
      nodes: [
        { name: "a", host: "127.0.0.1", port: 9444, checkPort: 9443 },
        { name: "b", host: "127.0.0.1", port: 9544 },
      ],
    },
    {
      name: "public",
      bind: { host: "127.0.0.1", port: 8443 },
      check: { kind: "http", path: "/readyz", tls: true },
      balance: "roundrobin",
      nodes: [{ name: "a", host: "127.0.0.1", port: 9443 }],
    },
  ],
});

Deno.test("haproxy config: TCP passthrough, checks as given, failover settings", () => {
  const cfg = haproxyConfig(base());
  const lines = cfg.split("\n");
  const has = (l: string) => assert.ok(lines.includes(l), `missing line: ${l}\n${cfg}`);
  has("  stats socket /tmp/vigil-cluster-haproxy-x/admin.sock mode 600 level admin");
  has("  mode tcp");
  has("  option redispatch");
  has("  default-server inter 1000ms fall 2 rise 2 on-marked-down shutdown-sessions");
  has("frontend device");
  has("  bind 127.0.0.1:8444");
  has("  default_backend device_nodes");
  has("  balance leastconn");
  has("  server a 127.0.0.1:9444 check port 9443");
  has("  server b 127.0.0.1:9544 check");
  has("frontend public");
  has("  balance roundrobin");
  has("  option httpchk");
  has("  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost");
  has("  http-check expect status 200");
  has("  server a 127.0.0.1:9443 check check-ssl verify none");
  assert.ok(!/mode http|ssl crt|\bcrt\b/.test(cfg), "TLS must not end at the balancer");
  const device = cfg.slice(cfg.indexOf("backend device_nodes"), cfg.indexOf("frontend public"));
  assert.ok(!device.includes("httpchk"), "a TCP check has no HTTP lines");
});

Deno.test("haproxy config: timings and expected status are parameters", () => {
  const o = base();
  o.checkIntervalMs = 200;
  o.fall = 3;
  o.rise = 1;
  o.idleTimeoutMs = 60_000;
  o.listeners[1].check = { kind: "http", path: "/healthz", tls: false, expectStatus: 204 };
  const cfg = haproxyConfig(o);
  assert.match(cfg, /^ {2}default-server inter 200ms fall 3 rise 1 /m);
  assert.match(cfg, /^ {2}timeout client 60000ms$/m);
  assert.match(cfg, /^ {2}http-check expect status 204$/m);
  assert.match(cfg, /^ {2}server a 127\.0\.0\.1:9443 check$/m);
});

Deno.test("haproxy config: values that could inject directives are refused", () => {
  const cases: ((o: HaproxyConfigOptions) => void)[] = [
    (o) => o.listeners[0].name = "x\n  bind 0.0.0.0:80",
    (o) => o.listeners[0].nodes[0].host = "127.0.0.1 backup",
    (o) => o.listeners[0].nodes[0].port = 0,
    (o) => o.listeners[0].nodes[1].name = "a",
    (o) => o.listeners[1].name = "device",
    (o) => o.listeners[1].check = { kind: "http", path: "/x hdr Evil 1", tls: false },
    (o) => o.listeners[1].check = { kind: "http", path: "/x", tls: false, expectStatus: 99 },
    (o) => o.listeners[0].bind.port = 70000,
    (o) => o.listeners[0].nodes = [],
    (o) => o.listeners = [],
    (o) => o.statsSocket = "relative.sock",
    (o) => o.checkIntervalMs = 0,
  ];
  for (const mutate of cases) {
    const o = base();
    mutate(o);
    assert.throws(() => haproxyConfig(o), RangeError, mutate.toString());
  }
});
