/**
 * The cluster benchmark's result types and markdown (pure; bench/cluster.ts measures).
 * @module
 */
import { type BusBenchResult, busMarkdown } from "./bus_report.ts";

/** WHEP setups of one setup. */
export interface SetupFigures {
  nodes: number;
  concurrency: number;
  seconds: number;
  setups: number;
  setupsPerS: number;
  postP50Ms: number;
  postP99Ms: number;
  /** Non-201 answers by status. */
  other: Record<string, number>;
}

/** What {@linkcode benchCluster} measured. */
export interface ClusterBenchResult {
  bus: BusBenchResult;
  whep: SetupFigures[];
}

/** The markdown of a result. */
export function clusterMarkdown(r: ClusterBenchResult): string {
  const lines = [
    busMarkdown(r.bus).replace(/^## /, "### "),
    "",
    "### WHEP setups/s: one node vs two behind HAProxy",
    "",
    "POST offer → 201 answer from a scripted publisher on node A, then DELETE; two nodes: " +
    "PostgreSQL + NATS, HAProxy round robin per connection (half the offers cross the bus); " +
    "all in one process on loopback.",
    "",
    "| nodes | concurrency | setups/s | POST p50 ms | POST p99 ms | other answers |",
    "| --- | --- | --- | --- | --- | --- |",
    ...r.whep.map((w) =>
      `| ${w.nodes} | ${w.concurrency} | ${w.setupsPerS} | ${w.postP50Ms} | ${w.postP99Ms} | ${
        JSON.stringify(w.other)
      } |`
    ),
  ];
  return lines.join("\n");
}
