/**
 * Pure helpers of the idle-devices benchmark: splitting child output into
 * lines, reading the server's start-up lines, the open-file limit from
 * /proc/PID/limits, and the per-device memory arithmetic. No I/O here.
 *
 * @example
 * ```ts
 * const lines = new LineBuffer();
 * lines.push("a\nb"); // ["a"]
 * perDeviceKiB(100_000, 150_000, 1000); // 50
 * ```
 * @module
 */
import { median, quantile, round } from "../lib/stats.ts";

/** Collects text chunks and hands back complete lines (without the newline). */
export class LineBuffer {
  #rest = "";

  /** Adds a chunk; returns the lines it completed. */
  push(chunk: string): string[] {
    const parts = (this.#rest + chunk).split("\n");
    this.#rest = parts.pop() ?? "";
    return parts.map((l) => l.replace(/\r$/, ""));
  }

  /** The unterminated tail (at end of stream). */
  flush(): string[] {
    const tail = this.#rest;
    this.#rest = "";
    return tail ? [tail] : [];
  }
}

/** What one line of the server's (or Deno's inspector's) start-up output tells. */
export type StartupFact =
  | { kind: "publicUrl"; url: string }
  | { kind: "devicePort"; port: number }
  | { kind: "inspector"; url: string }
  | null;

/** Recognizes the lines `signaling/main.ts` and `deno --inspect` print at start. */
export function parseStartupLine(line: string): StartupFact {
  let m = /viewers and enrollment on (https:\/\/\S+)/.exec(line);
  if (m) return { kind: "publicUrl", url: m[1] };
  m = /devices \(mTLS\) on port (\d+)/.exec(line);
  if (m) return { kind: "devicePort", port: Number(m[1]) };
  m = /Debugger listening on (ws:\/\/\S+)/.exec(line);
  if (m) return { kind: "inspector", url: m[1] };
  return null;
}

/** Soft and hard open-file limits of a process. */
export interface FdLimit {
  soft: number;
  hard: number;
}

/** Reads "Max open files" from the text of /proc/PID/limits ("unlimited" → Infinity). */
export function parseFdLimit(limitsText: string): FdLimit | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (!m) return null;
  const n = (s: string) => s === "unlimited" ? Infinity : Number(s);
  return { soft: n(m[1]), hard: n(m[2]) };
}

/** Memory growth per device in KiB, one decimal. */
export function perDeviceKiB(beforeKiB: number, afterKiB: number, devices: number): number {
  return devices > 0 ? round((afterKiB - beforeKiB) / devices, 1) : NaN;
}

/** Median, p95 and max of millisecond samples, one decimal. */
export interface MsSummary {
  n: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** Summarizes millisecond samples. */
export function summarizeMs(xs: readonly number[]): MsSummary {
  return {
    n: xs.length,
    medianMs: round(median(xs), 1),
    p95Ms: round(quantile(xs, 0.95), 1),
    maxMs: round(xs.length ? Math.max(...xs) : NaN, 1),
  };
}

/** Splits `n` items into `parts` contiguous [from, to) ranges of near-equal size. */
export function splitRanges(n: number, parts: number): [number, number][] {
  const k = Math.max(1, Math.min(parts, n));
  const out: [number, number][] = [];
  for (let i = 0; i < k; i++) {
    out.push([Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
  }
  return out.filter(([a, b]) => b > a);
}
