/**
 * A small simulated internet in Linux network namespaces, for the NAT tests.
 *
 * ```
 *                    ┌──────────── inet (bridge only, no address) ─────────────┐
 *                    │                                                          │
 *   pub 203.0.113.10 (server, coturn)   peer 203.0.113.40   homeR 203.0.113.20  mobileR 203.0.113.30
 *       + 10.99.0.10 (its private net)  (a host out there)  MASQUERADE          MASQUERADE --random-fully
 *                                                           │ 192.168.1.1/24    │ 10.64.0.1/24
 *                                                 home 192.168.1.10  homeV .11  mobile 10.64.0.10
 *                                                 (publisher)  (viewer at home) (viewer on the go)
 * ```
 *
 * Everything lives in namespaces this module creates (named
 * `vn-<id>-<role>`, id = this process's pid in base 36, "x", 2 random
 * characters), on
 * addresses it assigns: 203.0.113.0/24 (TEST-NET-3) for the "internet",
 * RFC 1918 behind the routers. The root namespace is not touched: even the
 * internet's bridge sits in a namespace of its own, so the host's routes,
 * firewall and sysctls stay as they were. The routers forward only what a
 * NAT forwards: out from their LAN, and back in only for connections their
 * conntrack knows; nothing reaches the routers themselves from outside.
 *
 * {@linkcode buildTopology} first removes namespaces left by a crashed
 * earlier run (their owning process is gone) and tears down on any failure
 * while building; {@linkcode Topology.destroy} kills every process still
 * inside the namespaces and deletes them. Every command runs with a timeout.
 *
 * Needs root (CI runs as root); see {@linkcode natTestIgnore}.
 * @module
 */

/** Prefix of every namespace this helper creates. */
export const NS_PREFIX = "vn-";

/** Timeout of one `ip`/`iptables`/`sysctl` command. */
const COMMAND_TIMEOUT_MS = 15_000;

/** Fixed addresses of the simulated internet. */
export const ADDR = {
  pub: "203.0.113.10",
  pubPrivate: "10.99.0.10",
  homeWan: "203.0.113.20",
  mobileWan: "203.0.113.30",
  peer: "203.0.113.40",
  homeGateway: "192.168.1.1",
  home: "192.168.1.10",
  homeViewer: "192.168.1.11",
  mobileGateway: "10.64.0.1",
  mobile: "10.64.0.10",
} as const;

/** The namespace roles. */
export type Role = "inet" | "pub" | "peer" | "homeR" | "home" | "homeV" | "mobileR" | "mobile";

const SHORT: Record<Role, string> = {
  inet: "i",
  pub: "p",
  peer: "x",
  homeR: "hr",
  home: "h",
  homeV: "hv",
  mobileR: "mr",
  mobile: "m",
};

/** Output of a finished command. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Kind of NAT the mobile router does. */
export type NatKind = "symmetric" | "cone";

/** A built topology. */
export interface Topology {
  /** `vn-<id>`: the prefix of this run's namespaces. */
  readonly prefix: string;
  /** Namespace name of each role. */
  readonly ns: Readonly<Record<Role, string>>;
  /** Runs `cmd args…` inside `role`'s namespace and waits (with a timeout). */
  run(
    role: Role,
    cmd: string,
    args: string[],
    o?: { stdin?: string; timeoutMs?: number },
  ): Promise<RunResult>;
  /** The argv (`ip netns exec <ns> cmd args…`) that runs a command inside `role`. */
  argv(role: Role, cmd: string, args: string[]): string[];
  /** Starts a long-running command inside `role`; {@linkcode destroy} kills what is left. */
  spawn(
    role: Role,
    cmd: string,
    args: string[],
    o?: Omit<Deno.CommandOptions, "args">,
  ): Deno.ChildProcess;
  /** What the mobile router does. */
  readonly mobileNat: NatKind;
  /** Kills what runs inside the namespaces and deletes them. Safe to call twice. */
  destroy(): Promise<void>;
}

/** Runs a command (no shell) with a timeout; never throws for a non-zero exit. */
export async function runCommand(
  cmd: string,
  args: string[],
  o: { stdin?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: o.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, o.timeoutMs ?? COMMAND_TIMEOUT_MS);
  try {
    if (o.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(o.stdin));
      await w.close();
    }
    const out = await child.output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

async function must(cmd: string, args: string[], stdin?: string): Promise<string> {
  const r = await runCommand(cmd, args, { stdin });
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Namespaces whose name starts with `prefix`. */
async function listNamespaces(prefix: string): Promise<string[]> {
  const out = await must("ip", ["netns", "list"]);
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(prefix));
}

/** Kills every process inside `ns` (all of them were started by this helper's users) and deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  const pids = await runCommand("ip", ["netns", "pids", ns]);
  for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      Deno.kill(Number(p), "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  await runCommand("ip", ["netns", "del", ns]);
}

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes namespaces of earlier runs whose owning process no longer exists
 * (a crashed or killed test run). Namespaces of a live run are left alone.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await listNamespaces(NS_PREFIX)) {
    const m = /^vn-([0-9a-z]+)x[0-9a-z]{2}-/.exec(ns);
    const pid = m ? parseInt(m[1], 36) : NaN;
    if (Number.isFinite(pid) && pid !== Deno.pid && pidAlive(pid)) continue;
    if (pid === Deno.pid) continue; // ours, still in use
    await removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/**
 * `<pid base 36>x<2 random chars>`: the pid lets a later run find leftovers of
 * a dead one; the random part keeps test files apart, which `deno test
 * --parallel` runs in one process.
 */
async function newRunId(): Promise<string> {
  const taken = await listNamespaces(NS_PREFIX);
  for (let i = 0; i < 100; i++) {
    const r = crypto.getRandomValues(new Uint16Array(1))[0] % 1296;
    const id = `${Deno.pid.toString(36)}x${r.toString(36).padStart(2, "0")}`;
    if (!taken.some((n) => n.startsWith(`${NS_PREFIX}${id}-`))) return id;
  }
  throw new Error("no free namespace prefix");
}

/**
 * Builds the topology; the mobile router is a symmetric NAT unless
 * `mobileNat: "cone"` (a control: the same setup with a port-preserving NAT).
 * On any failure everything built so far is removed
 * before the error is rethrown.
 */
export async function buildTopology(
  o: { mobileNat?: NatKind } = {},
): Promise<Topology> {
  const mobileNat = o.mobileNat ?? "symmetric";
  await removeStaleNamespaces();
  const id = await newRunId();
  const prefix = `${NS_PREFIX}${id}`;
  const ns = Object.fromEntries(
    (Object.keys(SHORT) as Role[]).map((r) => [r, `${prefix}-${SHORT[r]}`]),
  ) as Record<Role, string>;
  for (const name of Object.values(ns)) {
    if (name.length > 15) throw new Error(`namespace name too long: ${name}`);
  }
  const created: string[] = [];
  let destroyed = false;

  const argv = (role: Role, cmd: string, args: string[]) => [
    "ip",
    "netns",
    "exec",
    ns[role],
    cmd,
    ...args,
  ];
  const run = (
    role: Role,
    cmd: string,
    args: string[],
    o?: { stdin?: string; timeoutMs?: number },
  ) => runCommand("ip", argv(role, cmd, args).slice(1), o);
  const inNs = async (role: Role, cmd: string, args: string[], stdin?: string) => {
    const r = await run(role, cmd, args, { stdin });
    if (r.code !== 0) {
      throw new Error(`[${role}] ${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
    }
  };
  const ipIn = (role: Role, ...args: string[]) => must("ip", ["-n", ns[role], ...args]);

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    for (const name of [...created].reverse()) await removeNamespace(name);
  };

  /** A veth pair: `aName` in `a`, `bName` in `b`. */
  const link = async (a: Role, aName: string, b: Role, bName: string) => {
    await ipIn(a, "link", "add", aName, "type", "veth", "peer", "name", bName, "netns", ns[b]);
  };
  const up = (role: Role, dev: string) => ipIn(role, "link", "set", dev, "up");
  const addr = (role: Role, dev: string, cidr: string) =>
    ipIn(role, "addr", "add", cidr, "dev", dev);

  const natRules = (kind: NatKind, lan: string) =>
    [
      "*nat",
      ":PREROUTING ACCEPT [0:0]",
      ":INPUT ACCEPT [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      ":POSTROUTING ACCEPT [0:0]",
      `-A POSTROUTING -o vn-wan -j MASQUERADE${kind === "symmetric" ? " --random-fully" : ""}`,
      "COMMIT",
      "*filter",
      ":INPUT DROP [0:0]",
      ":FORWARD DROP [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      "-A INPUT -i lo -j ACCEPT",
      "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
      `-A INPUT -i ${lan} -j ACCEPT`,
      // Hosts on one LAN bridge talk directly (with br_netfilter loaded, bridged frames cross FORWARD).
      `-A FORWARD -i ${lan} -o ${lan} -j ACCEPT`,
      `-A FORWARD -i ${lan} -o vn-wan -j ACCEPT`,
      `-A FORWARD -i vn-wan -o ${lan} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      "COMMIT",
      "",
    ].join("\n");

  try {
    for (const role of Object.keys(SHORT) as Role[]) {
      await must("ip", ["netns", "add", ns[role]]);
      created.push(ns[role]);
      await ipIn(role, "link", "set", "lo", "up");
      // IPv4 only: no link-local IPv6 candidates, no v6 path around the NATs.
      await inNs(role, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
      await inNs(role, "sysctl", ["-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    }

    // The internet: one bridge, in its own namespace.
    await ipIn("inet", "link", "add", "vn-br", "type", "bridge");
    await up("inet", "vn-br");
    const wan: [Role, string, string][] = [
      ["pub", "vn-pub", ADDR.pub],
      ["peer", "vn-peer", ADDR.peer],
      ["homeR", "vn-homer", ADDR.homeWan],
      ["mobileR", "vn-mobiler", ADDR.mobileWan],
    ];
    for (const [role, port, ip] of wan) {
      await link("inet", port, role, "vn-wan");
      await ipIn("inet", "link", "set", port, "master", "vn-br");
      await up("inet", port);
      await addr(role, "vn-wan", `${ip}/24`);
      await up(role, "vn-wan");
    }
    // The server's own private network (a veth pair inside pub: no dummy module in containers).
    await ipIn("pub", "link", "add", "vn-priv", "type", "veth", "peer", "name", "vn-priv1");
    await up("pub", "vn-priv1");
    await addr("pub", "vn-priv", `${ADDR.pubPrivate}/24`);
    await up("pub", "vn-priv");

    // Home: a LAN bridge in the router with the publisher and a viewer on it.
    await ipIn("homeR", "link", "add", "vn-lan", "type", "bridge");
    await addr("homeR", "vn-lan", `${ADDR.homeGateway}/24`);
    await up("homeR", "vn-lan");
    for (
      const [role, port, ip] of [["home", "vn-h", ADDR.home], [
        "homeV",
        "vn-hv",
        ADDR.homeViewer,
      ]] as const
    ) {
      await link("homeR", port, role, "vn-eth");
      await ipIn("homeR", "link", "set", port, "master", "vn-lan");
      await up("homeR", port);
      await addr(role, "vn-eth", `${ip}/24`);
      await up(role, "vn-eth");
      await ipIn(role, "route", "add", "default", "via", ADDR.homeGateway);
    }

    // Mobile: one phone behind the carrier's router.
    await link("mobileR", "vn-lan", "mobile", "vn-eth");
    await addr("mobileR", "vn-lan", `${ADDR.mobileGateway}/24`);
    await up("mobileR", "vn-lan");
    await addr("mobile", "vn-eth", `${ADDR.mobile}/24`);
    await up("mobile", "vn-eth");
    await ipIn("mobile", "route", "add", "default", "via", ADDR.mobileGateway);

    for (const role of ["homeR", "mobileR"] as const) {
      await inNs(role, "sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    }
    await inNs("homeR", "iptables-restore", [], natRules("cone", "vn-lan"));
    await inNs("mobileR", "iptables-restore", [], natRules(mobileNat, "vn-lan"));
    for (const role of Object.keys(SHORT) as Role[]) {
      await inNs(role, "sysctl", ["-qw", "net.ipv6.conf.all.disable_ipv6=1"]);
    }
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    prefix,
    ns,
    run,
    argv,
    spawn(role, cmd, args, o = {}) {
      if (destroyed) throw new Error("topology already destroyed");
      const [head, ...rest] = argv(role, cmd, args);
      return new Deno.Command(head, { ...o, args: rest }).spawn();
    },
    mobileNat,
    destroy,
  };
}

/**
 * Whether the NAT tests must be skipped: not root, or namespaces cannot be
 * created. Locally that prints the reason and skips; under CI=true (root, a
 * fresh Debian) it throws, so the tests fail instead of vanishing.
 */
export function natTestIgnore(): boolean {
  const reason = natProblem();
  if (reason === null) return false;
  if (Deno.env.get("CI") === "true") throw new Error(`tests/nat cannot run under CI: ${reason}`);
  console.warn(`skipping tests/nat: ${reason}`);
  return true;
}

function natProblem(): string | null {
  if (Deno.uid() !== 0) {
    return "they build network namespaces and need root (run `sudo deno task test`; CI runs as root)";
  }
  for (const tool of ["ip", "iptables-restore", "sysctl"]) {
    const r = new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    if (!r.success) return `${tool} is missing (apt-get install iproute2 iptables procps)`;
  }
  const rand = crypto.getRandomValues(new Uint16Array(1))[0] % 1296;
  const probe = `${NS_PREFIX}${Deno.pid.toString(36)}x${rand.toString(36).padStart(2, "0")}-t`;
  const add = new Deno.Command("ip", {
    args: ["netns", "add", probe],
    stdout: "null",
    stderr: "piped",
  })
    .outputSync();
  if (!add.success) {
    return `cannot create a network namespace: ${new TextDecoder().decode(add.stderr).trim()}`;
  }
  new Deno.Command("ip", { args: ["netns", "del", probe], stdout: "null", stderr: "null" })
    .outputSync();
  return null;
}
