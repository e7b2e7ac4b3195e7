/**
 * Process accounting from Linux /proc: CPU seconds, resident memory, and the
 * `publisher/main.ts` child under a launcher. Linux only (the bench runs there).
 *
 * @example
 * ```ts
 * const w = await sampleWindow(Deno.pid, 1); // { cpuPerS, wallS, rssMiB, rssMaxMiB }
 * ```
 * @module
 */
import { sleep } from "./stats.ts";

/** Clock ticks per second of utime/stime (`getconf CLK_TCK`, 100 on Linux x86 and ARM). */
const CLK_TCK = 100;

function statFields(pid: number): string[] {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // After "(comm) ": fields[0] is field 3 (state) of proc(5).
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** User plus system CPU seconds used so far by `pid`. */
export function procCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime (14), stime (15)
}

/** A `kB` line of /proc/PID/status (e.g. "VmRSS"), in MiB; NaN if absent. */
export function procStatusMiB(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(
    Deno.readTextFileSync(`/proc/${pid}/status`),
  );
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Parent pid of `pid`. */
export function ppidOf(pid: number): number {
  return Number(statFields(pid)[1]);
}

/** The child of `parentPid` whose command line contains `needle`, or null. */
export function findChildPid(parentPid: number, needle: string): number | null {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.includes(needle) && ppidOf(Number(e.name)) === parentPid) return Number(e.name);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

/** CPU and memory of a process over a window. */
export interface WindowSample {
  /** CPU-seconds per wall second. */
  cpuPerS: number;
  /** Measured wall seconds. */
  wallS: number;
  /** VmRSS at the end, MiB. */
  rssMiB: number;
  /** Highest VmRSS seen (sampled every 250 ms), MiB. */
  rssMaxMiB: number;
  /**
   * RssAnon at the end, MiB: the process's private memory. The rest of VmRSS is
   * mostly file pages of the deno executable itself (its code and startup
   * snapshot, ~30–50 MiB), shared with other deno processes and reclaimable.
   */
  rssAnonMiB?: number;
}

/** CPU-s/s and RSS of `pid` over `seconds`. */
export async function sampleWindow(pid: number, seconds: number): Promise<WindowSample> {
  const c0 = procCpuSeconds(pid);
  const w0 = performance.now();
  let rssMax = 0;
  for (let i = 0; i < seconds * 4; i++) {
    await sleep(250);
    rssMax = Math.max(rssMax, procStatusMiB(pid, "VmRSS"));
  }
  const wallS = (performance.now() - w0) / 1000;
  return {
    cpuPerS: (procCpuSeconds(pid) - c0) / wallS,
    wallS,
    rssMiB: procStatusMiB(pid, "VmRSS"),
    rssMaxMiB: rssMax,
    rssAnonMiB: procStatusMiB(pid, "RssAnon"),
  };
}
