/**
 * Loops an H.264 Annex-B file in real time: the file is read once
 * (`Deno.readFile`), split into access units, and replayed at `fps` by a timer
 * pacer, with timestamps continuing across loops. No external process.
 *
 * @module
 */

import {
  type AccessUnit,
  accessUnitBytes,
  frameTimestamp,
  type UntimedAccessUnit,
} from "../media/access_unit.ts";
import { assembleAccessUnits, splitAnnexB } from "../media/annexb.ts";
import { withTimestampSei } from "../media/timestamp_sei.ts";
import { AccessUnitChannel } from "./au_channel.ts";
import { FramePacer, type PacerClock } from "./pacer.ts";
import { consoleLogger, type Logger } from "../../lib/log.ts";
import type { SourceInfo, SourceStats, VideoSource } from "./source.ts";

/** Options of {@linkcode FileSource}. */
export interface FileSourceOptions {
  /** Annex-B file. */
  path: string | URL;
  /** Playback frame rate (default 30). */
  fps?: number;
  /** Reported width (default 1280). */
  width?: number;
  /** Reported height (default 720). */
  height?: number;
  /** Loop forever (default true); otherwise iteration ends after one pass. */
  loop?: boolean;
  /** Embed a capture-time SEI in every access unit (default false). */
  timestampSei?: boolean;
  /** Pacer clock (tests). */
  clock?: PacerClock;
  /** Queue bound between the pacer and the consumer (default 60). */
  queue?: number;
  /** Logger (default console). */
  logger?: Logger;
}

/**
 * A {@linkcode VideoSource} looping an Annex-B file in real time.
 *
 * @example
 * ```ts
 * const source = new FileSource({ path: "publisher/assets/sample-720p30.h264", fps: 30 });
 * await source.start();
 * for await (const au of source) console.log(au.timestamp, au.keyframe);
 * ```
 */
export class FileSource implements VideoSource {
  readonly info: SourceInfo;
  readonly #o: FileSourceOptions;
  readonly #fps: number;
  readonly #abort = new AbortController();
  readonly #channel: AccessUnitChannel;
  #started = false;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #stats: SourceStats = { accessUnits: 0, keyframes: 0, bytes: 0, dropped: 0, restarts: 0 };

  /** Creates the source; nothing is read before {@linkcode start}. */
  constructor(options: FileSourceOptions) {
    this.#o = options;
    this.#fps = options.fps ?? 30;
    if (!(this.#fps > 0)) throw new RangeError(`fps must be > 0, got ${this.#fps}`);
    this.info = {
      kind: "file",
      width: options.width ?? 1280,
      height: options.height ?? 720,
      fps: this.#fps,
      description: `file ${options.path instanceof URL ? options.path.pathname : options.path}`,
    };
    this.#channel = new AccessUnitChannel(options.queue ?? 60, () => void this.stop());
  }

  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  stats(): SourceStats {
    return { ...this.#stats, dropped: this.#channel.dropped };
  }

  /** Reads and parses the file; rejects if it holds no IDR picture. */
  async start(): Promise<void> {
    if (this.#started) return;
    if (this.#stopped) throw new Error("a stopped source cannot be restarted");
    this.#started = true;
    let aus: UntimedAccessUnit[];
    try {
      aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(this.#o.path)));
    } catch (error) {
      this.#stopped = true;
      this.#channel.close();
      throw error;
    }
    const first = aus.findIndex((au) => au.keyframe);
    if (first < 0) {
      this.#stopped = true;
      this.#channel.close();
      throw new Error(`${this.info.description}: no IDR picture in the file`);
    }
    this.#loop = this.#play(aus.slice(first));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return void await this.#loop;
    this.#stopped = true;
    this.#abort.abort(new Error("stopped"));
    this.#channel.close();
    await this.#loop;
  }

  /** The access units, in order, until stop(). */
  [Symbol.asyncIterator](): AsyncIterator<AccessUnit> {
    return this.#channel[Symbol.asyncIterator]();
  }

  async #play(aus: UntimedAccessUnit[]): Promise<void> {
    const pacer = new FramePacer(this.#fps, { clock: this.#o.clock });
    const signal = this.#abort.signal;
    const loop = this.#o.loop ?? true;
    try {
      for (let i = 0;; i++) {
        if (i > 0 && i % aus.length === 0) {
          if (!loop) break;
          this.#stats.restarts++;
        }
        const tick = await pacer.next(signal);
        const src = aus[i % aus.length];
        let au: AccessUnit = {
          nalus: src.nalus,
          keyframe: src.keyframe,
          timestamp: frameTimestamp(tick, this.#fps),
          captureTimeMs: Date.now(),
        };
        if (this.#o.timestampSei) au = withTimestampSei(au);
        this.#stats.accessUnits++;
        if (au.keyframe) this.#stats.keyframes++;
        this.#stats.bytes += accessUnitBytes(au);
        this.#channel.push(au);
      }
    } catch (error) {
      if (!signal.aborted) {
        (this.#o.logger ?? consoleLogger).error(`${this.info.description}: playback failed`, {
          error: String(error),
        });
      }
    } finally {
      this.#channel.close();
    }
  }
}
