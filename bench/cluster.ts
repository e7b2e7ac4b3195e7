/**
 * Cluster benchmark, one run: the bus (offer request/reply p50/p99 and
 * messages/s, in-process vs NATS: bench/bus.ts) and WHEP session setups/s
 * (POST offer → 201 answer from a scripted publisher, then DELETE) on one
 * node vs two nodes on PostgreSQL + NATS behind HAProxy (TCP passthrough,
 * round robin per connection; the publisher sits on node A, so half the
 * offers cross the bus). Both node setups run in this process on loopback:
 * compare the two figures of one run, not across machines.
 *
 * Run alone: `deno run -A bench/cluster.ts` (prints markdown and JSON); from
 * bench/run.ts: `await benchCluster()`. BENCH_CLUSTER_SECONDS (3), BENCH_CLUSTER_CONCURRENCY (8).
 * @module
 */
import { connectPublisher, RECVONLY_OFFER } from "../tests/helpers/scripted_publisher.ts";
import { startBackends } from "../tests/helpers/cluster/backends.ts";
import { startHaproxy } from "../tests/helpers/cluster/haproxy_server.ts";
import {
  enrollDevice,
  loginViewer,
  startTestServer,
  type TestServer,
} from "../tests/helpers/server.ts";
import { benchBus } from "./bus.ts";
import { latencySummary } from "./bus_report.ts";
import { type ClusterBenchResult, clusterMarkdown, type SetupFigures } from "./cluster_report.ts";
import { countSetting } from "./lib/args.ts";
import { round, sleep } from "./lib/stats.ts";

async function setups(
  base: string,
  caPem: string,
  token: string,
  nodes: number,
  concurrency: number,
  ms: number,
): Promise<SetupFigures> {
  let ok = 0;
  const other: Record<string, number> = {};
  const lat: number[] = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    // One client each: one TCP connection, so the balancer keeps a worker's POST and DELETE together.
    const client = Deno.createHttpClient({ caCerts: [caPem], poolMaxIdlePerHost: 1 });
    try {
      while (performance.now() - start < ms) {
        const a = performance.now();
        const res = await fetch(`${base}/whep/bench-cam`, {
          method: "POST",
          client,
          headers: { "content-type": "application/sdp", authorization: `Bearer ${token}` },
          body: RECVONLY_OFFER,
        });
        await res.text();
        if (res.status !== 201) {
          other[res.status] = (other[res.status] ?? 0) + 1;
          continue;
        }
        ok++;
        lat.push(performance.now() - a);
        const d = await fetch(new URL(res.headers.get("location")!, base), {
          method: "DELETE",
          client,
          headers: { authorization: `Bearer ${token}` },
        });
        await d.body?.cancel();
      }
    } finally {
      client.close();
    }
  }));
  const secs = (performance.now() - start) / 1000;
  const l = latencySummary(lat);
  return {
    nodes,
    concurrency,
    seconds: round(secs, 2),
    setups: ok,
    setupsPerS: round(ok / secs),
    postP50Ms: round(l.p50Ms, 2),
    postP99Ms: round(l.p99Ms, 2),
    other,
  };
}

const LIMITS = { maxSessionsPerCamera: 1000, maxSessionsPerViewer: 100 };

/** Runs the cluster benchmark. */
export async function benchCluster(
  o: { seconds?: number; concurrency?: number } = {},
  log: (m: string) => void = console.log,
): Promise<ClusterBenchResult> {
  const ms = (o.seconds ?? 3) * 1000;
  const concurrency = o.concurrency ?? 8;
  const bus = await benchBus({
    sequentialRequests: 2000,
    concurrentRequests: 5000,
    concurrency: 32,
    messages: 50_000,
  }, log);
  const whep: SetupFigures[] = [];

  log("cluster: WHEP setups, one node (in-process bus, SQLite)…");
  {
    const s = await startTestServer(LIMITS);
    try {
      const pub = await connectPublisher(await enrollDevice(s, "bench-cam"));
      const v = await loginViewer(s, "bench-whep", ["bench-cam"]);
      await sleep(200);
      whep.push(await setups(s.base, s.ctx.pki.caPem, v.token, 1, concurrency, ms));
      await pub.close();
    } finally {
      await s.stop();
    }
  }

  log("cluster: WHEP setups, two nodes (PostgreSQL + NATS) behind HAProxy…");
  {
    await using b = await startBackends();
    const nodes: TestServer[] = [];
    try {
      for (const nodeId of ["a", "b"]) {
        nodes.push(await startTestServer({ ...b.nodeSettings, ...LIMITS, nodeId }));
      }
      await using lb = await startHaproxy({
        listeners: [{
          name: "public",
          check: { kind: "http", path: "/readyz", tls: true },
          balance: "roundrobin",
          nodes: nodes.map((n, i) => ({
            name: `n${i}`,
            host: "127.0.0.1",
            port: n.publicPort,
          })),
        }],
      });
      await lb.waitForNode("public", "n0", "UP", 15_000);
      await lb.waitForNode("public", "n1", "UP", 15_000);
      const pub = await connectPublisher(await enrollDevice(nodes[0], "bench-cam"));
      const v = await loginViewer(nodes[1], "bench-whep", ["bench-cam"]);
      await sleep(300);
      whep.push(
        await setups(
          `https://localhost:${lb.ports.public}`,
          nodes[0].ctx.pki.caPem,
          v.token,
          2,
          concurrency,
          ms,
        ),
      );
      await pub.close();
    } finally {
      for (const n of nodes) await n.stop();
    }
  }
  return { bus, whep };
}

if (import.meta.main) {
  const env = (k: string) => Deno.env.get(k);
  const r = await benchCluster({
    seconds: countSetting("BENCH_CLUSTER_SECONDS", env("BENCH_CLUSTER_SECONDS"), 3, 1, 600),
    concurrency: countSetting(
      "BENCH_CLUSTER_CONCURRENCY",
      env("BENCH_CLUSTER_CONCURRENCY"),
      8,
      1,
      256,
    ),
  });
  console.log(clusterMarkdown(r));
  console.log(JSON.stringify(r));
}
