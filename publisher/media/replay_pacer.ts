/**
 * Paces the GOP replay a new subscriber receives. The replay (up to a GOP of
 * pictures, ~100–250 KB at 720p) would otherwise be written to the socket in
 * one burst: on this machine werift/Deno then delivered UDP packets out of
 * order once the socket buffer filled, and on a real network a burst at line
 * rate risks queue drops. Live access units pass straight through.
 *
 * Works through the fan-out's promise contract: after a replayed unit the
 * wrapped sink returns a promise that resolves once the unit's bytes have
 * "drained" at `bitsPerSecond`; live units arriving meanwhile queue behind it.
 *
 * @module
 */

import { accessUnitBytes } from "./access_unit.ts";
import type { AccessUnitSink } from "./fanout.ts";

/** Options of {@linkcode paceReplay}. */
export interface ReplayPacingOptions {
  /** Replay send rate (default 20 Mbit/s: a 200 KB GOP in 80 ms). */
  bitsPerSecond?: number;
  /** Smallest wait worth a timer; shorter debts accumulate (default 4 ms). */
  minSleepMs?: number;
  /** Timer (tests). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Wraps a sink so replayed units are sent at a bounded rate.
 *
 * @example
 * ```ts
 * hub.subscribe(paceReplay((au) => sendPackets(au)), { maxQueue: 60 });
 * ```
 */
export function paceReplay(
  sink: AccessUnitSink,
  options: ReplayPacingOptions = {},
): AccessUnitSink {
  const bitsPerMs = (options.bitsPerSecond ?? 20_000_000) / 1000;
  const minSleepMs = options.minSleepMs ?? 4;
  const wait = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let debtMs = 0;
  return (au, delivery) => {
    const result = sink(au, delivery);
    if (!delivery.replayed) {
      debtMs = 0;
      return result;
    }
    debtMs += (accessUnitBytes(au) * 8) / bitsPerMs;
    if (debtMs < minSleepMs) return result;
    const ms = debtMs;
    debtMs = 0;
    return Promise.resolve(result).then(() => wait(ms));
  };
}
