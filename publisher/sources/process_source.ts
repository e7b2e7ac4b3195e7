/**
 * A source backed by a supervised process writing H.264 Annex-B to stdout
 * (ffmpeg, rpicam-vid): stdout chunks → {@linkcode AnnexBParser} →
 * {@linkcode AccessUnitAssembler} → {@linkcode LiveTimestamper} → consumer.
 * The process is restarted with backoff when it dies; timestamps stay
 * increasing across restarts.
 *
 * Latency note: in a raw Annex-B stream a picture is known to be complete only
 * when the next one starts, i.e. one frame interval after it was written.
 * `lowLatencyFlushMs` instead ends the picture when the pipe has been idle that
 * long, relying on encoders writing whole pictures at once (rpicam-vid --flush,
 * ffmpeg -flush_packets 1). If the writer pauses inside a picture longer than
 * that, the picture is cut (counted in `flushMisses`) and the decoder shows
 * errors until the next IDR; after {@linkcode MAX_FLUSH_MISSES} such cuts the
 * source falls back to waiting for the next picture, with a warning.
 *
 * `captureTimeMs` is when the picture's first bytes came out of the encoder's
 * pipe, so whatever the source holds a picture back is part of the measured
 * latency (bench/glass_to_glass.ts), not hidden by a late stamp.
 *
 * @module
 */

import { type AccessUnit, accessUnitBytes, type UntimedAccessUnit } from "../media/access_unit.ts";
import { AccessUnitAssembler, AnnexBParser } from "../media/annexb.ts";
import { withTimestampSei } from "../media/timestamp_sei.ts";
import { AccessUnitChannel } from "./au_channel.ts";
import { LiveTimestamper } from "./live_clock.ts";
import { consoleLogger, type Logger } from "../../lib/log.ts";
import type { SourceInfo, SourceStats, VideoSource } from "./source.ts";
import { type BackoffOptions, type ProcessCommand, ProcessSupervisor } from "./supervisor.ts";

/** Cut pictures after which the low-latency flush is turned off for the source's life. */
export const MAX_FLUSH_MISSES = 3;

/** Options of {@linkcode ProcessSource}. */
export interface ProcessSourceOptions {
  /** Static description (kind, size, fps). */
  info: SourceInfo;
  /** Command for each (re)start. */
  command: () => ProcessCommand | Promise<ProcessCommand>;
  /** Embed a capture-time SEI in every access unit (default false). */
  timestampSei?: boolean;
  /** End a picture after this much pipe idle time instead of waiting for the next (default 0 = off). */
  lowLatencyFlushMs?: number;
  /** Restart backoff. */
  backoff?: BackoffOptions;
  /** Time allowed for the process to exit on stop before SIGKILL (default 3000 ms). */
  stopTimeoutMs?: number;
  /** Queue bound between the pipe and the consumer (default 60). */
  queue?: number;
  /** Logger (default console). */
  logger?: Logger;
}

/** Counters of a {@linkcode ProcessSource}. */
export interface ProcessSourceStats extends SourceStats {
  /** Low-latency flushes that turned out to cut a picture. */
  flushMisses: number;
  /** NAL units or access units discarded as malformed or oversized. */
  discarded: number;
}

/**
 * A {@linkcode VideoSource} reading H.264 from a supervised process's stdout.
 *
 * @example
 * ```ts
 * const source = new ProcessSource({
 *   info: { kind: "rpicam", width: 1280, height: 720, fps: 30, description: "rpicam-vid" },
 *   command: () => rpicamCommand({ width: 1280, height: 720, fps: 30, bitrateKbps: 1500, gop: 30 }),
 * });
 * await source.start();
 * for await (const au of source) hub.publish(au);
 * ```
 */
export class ProcessSource implements VideoSource {
  readonly info: SourceInfo;
  readonly #o: ProcessSourceOptions;
  readonly #channel: AccessUnitChannel;
  readonly #clock: LiveTimestamper;
  readonly #supervisor: ProcessSupervisor;
  #parser = new AnnexBParser();
  #assembler = new AccessUnitAssembler();
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #speculated = false;
  #flushMs: number;
  /** Date.now() when the NAL unit in progress began arriving. */
  #nalStartMs = 0;
  /** Date.now() when the access unit in progress began arriving (null: none begun). */
  #auStartMs: number | null = null;
  #started = false;
  #stopped = false;
  #firstSpawn: PromiseWithResolvers<void> | null = null;
  #stats: ProcessSourceStats = {
    accessUnits: 0,
    keyframes: 0,
    bytes: 0,
    dropped: 0,
    restarts: 0,
    flushMisses: 0,
    discarded: 0,
  };

  /** Creates the source; nothing runs before {@linkcode start}. */
  constructor(options: ProcessSourceOptions) {
    this.#o = options;
    this.info = options.info;
    this.#flushMs = options.lowLatencyFlushMs ?? 0;
    this.#clock = new LiveTimestamper(options.info.fps);
    this.#channel = new AccessUnitChannel(options.queue ?? 60, () => void this.stop());
    this.#supervisor = new ProcessSupervisor({
      name: `source ${options.info.kind}`,
      command: options.command,
      backoff: options.backoff,
      stopTimeoutMs: options.stopTimeoutMs,
      logger: options.logger ?? consoleLogger,
      onStart: () => {
        this.#resetStream();
        this.#firstSpawn?.resolve();
      },
      onStdout: (chunk) => this.#onChunk(chunk),
      onExit: (info) => {
        this.#cancelIdleFlush();
        if (info.code === null) this.#firstSpawn?.reject(new Error(info.stderr.join("; ")));
      },
    });
  }

  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /** The running process's pid (tests, diagnostics). */
  get pid(): number | null {
    return this.#supervisor.pid;
  }

  stats(): ProcessSourceStats {
    return {
      ...this.#stats,
      dropped: this.#channel.dropped,
      restarts: this.#supervisor.restarts,
      discarded: this.#stats.discarded + this.#parser.discarded + this.#assembler.discarded,
    };
  }

  /**
   * Spawns the process. Resolves once it is running; rejects (and stops) if the
   * first spawn fails (binary missing, `--allow-run` not granted). Later exits
   * are restarted with backoff.
   */
  async start(): Promise<void> {
    if (this.#stopped) throw new Error("a stopped source cannot be restarted");
    if (this.#started) return;
    this.#started = true;
    const first = Promise.withResolvers<void>();
    this.#firstSpawn = first;
    this.#supervisor.start();
    try {
      await first.promise;
    } catch (error) {
      await this.stop();
      throw new Error(`${this.info.description}: cannot start: ${(error as Error).message}`);
    } finally {
      this.#firstSpawn = null;
    }
  }

  /** Stops and kills the process; ends iteration. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelIdleFlush();
    await this.#supervisor.stop();
    this.#channel.close();
  }

  /** The access units, in order, until stop(). */
  [Symbol.asyncIterator](): AsyncIterator<AccessUnit> {
    return this.#channel[Symbol.asyncIterator]();
  }

  #resetStream(): void {
    // A new process is a new byte stream: forget any partial NAL or picture.
    this.#stats.discarded += this.#parser.discarded + this.#assembler.discarded;
    this.#parser = new AnnexBParser();
    this.#assembler = new AccessUnitAssembler();
    this.#speculated = false;
    this.#auStartMs = null;
  }

  #onChunk(chunk: Uint8Array): void {
    const now = Date.now();
    if (this.#speculated) {
      this.#speculated = false;
      if (!startsWithStartCode(chunk)) this.#flushMissed();
    }
    const continued = this.#parser.inNal;
    const nalus = this.#parser.push(chunk);
    for (let k = 0; k < nalus.length; k++) {
      this.#onNalu(nalus[k], k === 0 && continued ? this.#nalStartMs : now);
    }
    // The NAL unit now in progress began in this chunk unless it is the one that continued.
    if (this.#parser.inNal && (nalus.length > 0 || !continued)) this.#nalStartMs = now;
    if (this.#flushMs > 0) {
      this.#cancelIdleFlush();
      this.#idleTimer = setTimeout(() => this.#idleFlush(), this.#flushMs);
    }
  }

  #idleFlush(): void {
    this.#idleTimer = undefined;
    for (const nalu of this.#parser.flush()) this.#onNalu(nalu, this.#nalStartMs);
    const au = this.#assembler.flush();
    if (au) {
      this.#emit(au, this.#auStartMs ?? Date.now());
      this.#auStartMs = null;
    }
    this.#speculated = true;
  }

  #flushMissed(): void {
    this.#stats.flushMisses++;
    if (this.#stats.flushMisses < MAX_FLUSH_MISSES || this.#flushMs === 0) return;
    this.#flushMs = 0;
    this.#cancelIdleFlush();
    (this.#o.logger ?? consoleLogger).warn(
      `${this.info.description}: the encoder paused inside pictures ${MAX_FLUSH_MISSES} times; ` +
        "low-latency flush turned off (pictures now leave one frame later)",
    );
  }

  #cancelIdleFlush(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #onNalu(nalu: Uint8Array, startMs: number): void {
    const au = this.#assembler.push(nalu);
    if (au) {
      // `nalu` began the next access unit.
      this.#emit(au, this.#auStartMs ?? startMs);
      this.#auStartMs = startMs;
    } else {
      this.#auStartMs ??= startMs;
    }
  }

  #emit(raw: UntimedAccessUnit, captureTimeMs: number): void {
    if (this.#stopped) return;
    let au: AccessUnit = {
      nalus: raw.nalus,
      keyframe: raw.keyframe,
      timestamp: this.#clock.next(performance.now()),
      captureTimeMs,
    };
    if (this.#o.timestampSei) au = withTimestampSei(au);
    this.#stats.accessUnits++;
    if (au.keyframe) this.#stats.keyframes++;
    this.#stats.bytes += accessUnitBytes(au);
    this.#channel.push(au);
  }
}

function startsWithStartCode(chunk: Uint8Array): boolean {
  if (chunk.length < 3 || chunk[0] !== 0 || chunk[1] !== 0) return chunk.length < 3;
  return chunk[2] === 1 || (chunk[2] === 0 && (chunk.length < 4 || chunk[3] === 1));
}
