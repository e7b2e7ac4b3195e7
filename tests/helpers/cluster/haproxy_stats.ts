/**
 * Parsing HAProxy's `show stat` CSV (runtime API over the stats socket) into
 * the state of each node as the balancer sees it.
 *
 * @example
 * ```ts
 * parseShowStat("# pxname,svname,status\npublic_nodes,a,UP\n"); // [{ proxy: "public_nodes", server: "a", status: "UP" }]
 * ```
 * @module
 */

/** One row of `show stat`: a frontend, a backend or a server within one. */
export interface StatRow {
  proxy: string;
  /** `FRONTEND`, `BACKEND` or the server's name. */
  server: string;
  /** e.g. `OPEN`, `UP`, `DOWN`, `UP 1/2` (going down), `no check`. */
  status: string;
  /** Result of the last health check (`check_status`: `L4OK`, `L7OK`, `L6TOUT`, `INI` …), when checked. */
  check?: string;
  /** Sessions now (`scur`), total (`stot`), when present. */
  current?: number;
  total?: number;
}

/** Whether a node is up because it passed its health check (HAProxy 2.6 starts nodes "UP" unchecked). */
export function isCheckedUp(r: StatRow | undefined): boolean {
  return !!r && r.status.startsWith("UP") && /^L[4-7]OK/.test(r.check ?? "");
}

/** Rows of a `show stat` answer; throws when the header is missing. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split("\n").filter((l) => l.trim() !== "");
  const header = lines.shift();
  if (!header?.startsWith("# ")) throw new Error(`not a show stat answer: ${csv.slice(0, 120)}`);
  const cols = header.slice(2).split(",");
  const at = (name: string) => cols.indexOf(name);
  const [px, sv, st, scur, stot, chk] = [
    "pxname",
    "svname",
    "status",
    "scur",
    "stot",
    "check_status",
  ]
    .map(at);
  if (px < 0 || sv < 0 || st < 0) throw new Error("show stat header lacks pxname/svname/status");
  const num = (f: string[], i: number) => i < 0 || f[i] === "" ? undefined : Number(f[i]);
  return lines.map((l) => {
    const f = l.split(",");
    return {
      proxy: f[px],
      server: f[sv],
      status: f[st],
      ...(chk >= 0 && f[chk] ? { check: f[chk] } : {}),
      current: num(f, scur),
      total: num(f, stot),
    };
  });
}
