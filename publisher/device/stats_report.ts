/**
 * The publisher's `stats` report for the server's `/metrics` (see
 * signaling/PROTOCOL.md): the source's frame rate and bitrate measured over
 * each interval ({@linkcode SourceMeter}, pure), viewers and their reported
 * loss from the session manager, and this process's CPU time and memory.
 * @module
 */
import process from "node:process";
import type { AccessUnit } from "../media/access_unit.ts";

/** The `stats` frame's fields. */
export interface StatsReport {
  viewers: number;
  bitrateBps: number;
  fps: number;
  packetsLost: number;
  cpuSeconds: number;
  rssBytes: number;
}

/** Frames and bytes leaving the source, as rates over each `take` interval. */
export class SourceMeter {
  #frames = 0;
  #bytes = 0;
  #since: number;

  constructor(now = performance.now()) {
    this.#since = now;
  }

  /** Counts one access unit. */
  add(au: Pick<AccessUnit, "nalus">): void {
    this.#frames++;
    for (const n of au.nalus) this.#bytes += n.byteLength;
  }

  /** Frames per second and bits per second since the last call; starts a new interval. */
  take(now = performance.now()): { fps: number; bitrateBps: number } {
    const seconds = (now - this.#since) / 1000;
    const r = seconds > 0
      ? {
        fps: Math.round((this.#frames / seconds) * 100) / 100,
        bitrateBps: Math.round((this.#bytes * 8) / seconds),
      }
      : { fps: 0, bitrateBps: 0 };
    this.#frames = 0;
    this.#bytes = 0;
    this.#since = now;
    return r;
  }
}

/** A full report: the meter's rates, the sessions' figures, this process's CPU and memory. */
export function statsReport(
  meter: SourceMeter,
  sessions: { viewers: number; packetsLost(): number },
): StatsReport {
  const cpu = process.cpuUsage();
  return {
    ...meter.take(),
    viewers: sessions.viewers,
    packetsLost: sessions.packetsLost(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssBytes: Deno.memoryUsage().rss,
  };
}
