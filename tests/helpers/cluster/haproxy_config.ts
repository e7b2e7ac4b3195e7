/**
 * HAProxy 2.6 configuration for vigil nodes: TCP passthrough (`mode tcp`, so
 * TLS and mTLS end at the nodes, never at the balancer) for each listener,
 * with a health check per node given as a parameter: a plain TCP connect, or
 * an HTTP GET of a health path, over TLS without verification when the node
 * speaks only TLS (`check-ssl verify none`). A node marked down has its
 * sessions shut so that devices reconnect through the balancer to another.
 *
 * Every value is checked before it is written: nothing can inject a directive.
 *
 * @example
 * ```ts
 * haproxyConfig({
 *   statsSocket: `${dir}/stats.sock`,
 *   listeners: [{
 *     name: "public", bind: { host: "127.0.0.1", port: 8443 },
 *     check: { kind: "http", path: "/readyz", tls: true },
 *     nodes: [{ name: "a", host: "127.0.0.1", port: 9443 }, { name: "b", host: "127.0.0.1", port: 9444 }],
 *   }],
 * });
 * ```
 * @module
 */

/** How HAProxy decides that a node can take connections. */
export type HealthCheck =
  | { kind: "tcp" }
  | {
    kind: "http";
    /** e.g. `/readyz`. */
    path: string;
    /** Speak TLS to the node for the check, without verifying it (it is on our own network). */
    tls: boolean;
    /** Default 200. */
    expectStatus?: number;
  };

/** One node behind a listener. */
export interface NodeAddress {
  name: string;
  host: string;
  port: number;
  /** Check this port instead (e.g. the device port's node checked on its public port). */
  checkPort?: number;
}

/** One balanced port. */
export interface Listener {
  name: string;
  bind: { host: string; port: number };
  nodes: NodeAddress[];
  check: HealthCheck;
  /** Default `leastconn`: connections are long-lived (WebSockets, SSE). */
  balance?: "leastconn" | "roundrobin" | "source";
}

/** Options of {@link haproxyConfig}. */
export interface HaproxyConfigOptions {
  statsSocket: string;
  listeners: Listener[];
  /**
   * Check interval (default 1000 ms), failures until down (2), successes until
   * up (2). The interval also bounds a check's connect and TLS handshake
   * (HAProxy uses min(timeout connect, inter)): a node's TLS handshake under
   * load must fit in it, or a busy node is marked down.
   */
  checkIntervalMs?: number;
  fall?: number;
  rise?: number;
  /** Idle timeout of a proxied connection (default 1 h; WebSocket pings keep devices alive). */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
}

const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$/;
const PATH = /^\/[A-Za-z0-9._~\/-]{0,200}$/;
const FILE = /^\/[A-Za-z0-9._\/-]{1,100}$/;

function check(ok: boolean, what: string, v: unknown): void {
  if (!ok) throw new RangeError(`haproxy config: bad ${what}: ${JSON.stringify(v)}`);
}

function port(what: string, p: number): number {
  check(Number.isInteger(p) && p > 0 && p < 65536, what, p);
  return p;
}

function ms(what: string, v: number): string {
  check(Number.isInteger(v) && v > 0, what, v);
  return `${v}ms`;
}

function checkLines(c: HealthCheck): string[] {
  if (c.kind === "tcp") return [];
  check(PATH.test(c.path), "health path", c.path);
  const status = c.expectStatus ?? 200;
  check(Number.isInteger(status) && status >= 100 && status < 600, "expected status", status);
  return [
    "  option httpchk",
    `  http-check send meth GET uri ${c.path} ver HTTP/1.1 hdr Host localhost`,
    `  http-check expect status ${status}`,
  ];
}

function serverLine(n: NodeAddress, c: HealthCheck): string {
  check(NAME.test(n.name), "node name", n.name);
  check(HOST.test(n.host), "node host", n.host);
  const parts = [`  server ${n.name} ${n.host}:${port("node port", n.port)} check`];
  if (n.checkPort !== undefined) parts.push(`port ${port("check port", n.checkPort)}`);
  if (c.kind === "http" && c.tls) parts.push("check-ssl verify none");
  return parts.join(" ");
}

/** The configuration file text; throws RangeError for a value it will not write. */
export function haproxyConfig(o: HaproxyConfigOptions): string {
  check(FILE.test(o.statsSocket), "stats socket path", o.statsSocket);
  check(o.listeners.length > 0, "listeners", o.listeners);
  const names = new Set<string>();
  const fall = o.fall ?? 2;
  const rise = o.rise ?? 2;
  check(Number.isInteger(fall) && fall > 0, "fall", fall);
  check(Number.isInteger(rise) && rise > 0, "rise", rise);
  const lines = [
    "global",
    "  nbthread 1",
    `  stats socket ${o.statsSocket} mode 600 level admin`,
    "  log stderr format short local0 notice",
    "",
    "defaults",
    "  mode tcp",
    "  log global",
    "  option dontlognull",
    `  timeout connect ${ms("connectTimeoutMs", o.connectTimeoutMs ?? 2_000)}`,
    `  timeout client ${ms("idleTimeoutMs", o.idleTimeoutMs ?? 3_600_000)}`,
    `  timeout server ${ms("idleTimeoutMs", o.idleTimeoutMs ?? 3_600_000)}`,
    "  timeout check 2s",
    // A connect to a node that just died goes to another node instead of failing.
    "  retries 2",
    "  option redispatch",
    `  default-server inter ${ms("checkIntervalMs", o.checkIntervalMs ?? 1_000)} fall ${fall}` +
    ` rise ${rise} on-marked-down shutdown-sessions`,
  ];
  for (const l of o.listeners) {
    check(NAME.test(l.name) && !names.has(l.name), "listener name", l.name);
    names.add(l.name);
    check(HOST.test(l.bind.host), "bind host", l.bind.host);
    check(l.nodes.length > 0, "nodes", l.nodes);
    const nodeNames = l.nodes.map((n) => n.name);
    check(new Set(nodeNames).size === nodeNames.length, "node names (duplicate)", nodeNames);
    const balance = l.balance ?? "leastconn";
    check(["leastconn", "roundrobin", "source"].includes(balance), "balance", balance);
    lines.push(
      "",
      `frontend ${l.name}`,
      `  bind ${l.bind.host}:${port("bind port", l.bind.port)}`,
      `  default_backend ${l.name}_nodes`,
      "",
      `backend ${l.name}_nodes`,
      `  balance ${balance}`,
      ...checkLines(l.check),
      ...l.nodes.map((n) => serverLine(n, l.check)),
    );
  }
  return lines.join("\n") + "\n";
}
