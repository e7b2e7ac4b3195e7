/**
 * Optional recording of the published access units as fragmented MP4
 * segments: Annex-B is piped into a supervised `ffmpeg -c copy` segmenter (no
 * re-encoding), and a sweeper applies the retention policy.
 *
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import { toAnnexB } from "../media/annexb.ts";
import { ParameterSetCache } from "../media/parameter_sets.ts";
import { consoleLogger, type Logger } from "../../lib/log.ts";
import { type BackoffOptions, ProcessSupervisor } from "../sources/supervisor.ts";
import { remuxCommand, segmentStamp } from "./remux_command.ts";
import type { RetentionPolicy } from "./retention.ts";
import { sweepSegments } from "./sweeper.ts";

/** Options of {@linkcode SegmentRecorder}. */
export interface RecorderOptions {
  /** Directory of the segments (created with mode 0700). */
  dir: string;
  /** Nominal frame rate of the stream (segments are timed at this rate). */
  fps: number;
  /** Target segment length in seconds (default 60); cuts happen on keyframes. */
  segmentSeconds?: number;
  /** Retention (default: 7 days and 1 GiB). */
  retention?: RetentionPolicy;
  /** Interval between retention sweeps (default 30 s). */
  sweepIntervalMs?: number;
  /** ffmpeg executable (default "ffmpeg"; needs `--allow-run` for it). */
  ffmpeg?: string;
  /** Restart backoff of ffmpeg. */
  backoff?: BackoffOptions;
  /** Time ffmpeg gets to finalize after stdin is closed, then after SIGTERM (default 5000 ms). */
  stopTimeoutMs?: number;
  /** Logger (default console). */
  logger?: Logger;
  /** Segments are uploaded (uploader.ts): retention keeps pending ones longest. */
  uploads?: boolean;
}

/** Counters of a {@linkcode SegmentRecorder}. */
export interface RecorderStats {
  /** Access units written to ffmpeg. */
  written: number;
  /** Bytes written to ffmpeg. */
  bytes: number;
  /** Access units not written (ffmpeg not ready, waiting for a keyframe, write failed). */
  dropped: number;
  /** Segments deleted by retention. */
  deleted: number;
  /** ffmpeg restarts. */
  restarts: number;
}

/** Default retention: a week, at most 1 GiB. */
export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeMs: 7 * 24 * 3600 * 1000,
  maxTotalBytes: 1024 ** 3,
};

/**
 * Records access units into `dir`. Use it as a fan-out subscriber: `write`
 * returns the pipe write's promise, so a stalled ffmpeg makes the hub drop
 * frames for the recorder only. Every ffmpeg run starts on a keyframe (with
 * SPS/PPS). stop() closes ffmpeg's stdin, so the segment being written is
 * finalized and playable (SIGTERM, then SIGKILL, if ffmpeg does not exit).
 *
 * @example
 * ```ts
 * const recorder = new SegmentRecorder({ dir: "data/recordings", fps: 30, segmentSeconds: 60 });
 * await recorder.start();
 * const sub = hub.subscribe((au) => recorder.write(au), { maxQueue: 90 });
 * // … on shutdown:
 * sub.unsubscribe();
 * await recorder.stop();
 * ```
 */
export class SegmentRecorder {
  readonly #o: RecorderOptions;
  readonly #log: Logger;
  readonly #supervisor: ProcessSupervisor;
  readonly #parameterSets = new ParameterSetCache();
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #needKeyframe = true;
  #stopping = false;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #sweeping: Promise<void> = Promise.resolve();
  #run: string | null = null;
  #stats: RecorderStats = { written: 0, bytes: 0, dropped: 0, deleted: 0, restarts: 0 };

  /** Creates a recorder; nothing runs before {@linkcode start}. */
  constructor(options: RecorderOptions) {
    this.#o = options;
    this.#log = options.logger ?? consoleLogger;
    this.#supervisor = new ProcessSupervisor({
      name: "recorder",
      command: () => {
        const startedAt = new Date();
        this.#run = segmentStamp(startedAt);
        return remuxCommand({
          binary: options.ffmpeg,
          dir: options.dir,
          fps: options.fps,
          segmentSeconds: options.segmentSeconds ?? 60,
          startedAt,
        });
      },
      stdin: "piped",
      onStart: (child) => {
        this.#writer = child.stdin.getWriter();
        this.#needKeyframe = true;
      },
      onExit: () => {
        this.#writer = null;
        this.#needKeyframe = true;
      },
      gracefulStop: async () => {
        const writer = this.#writer;
        this.#writer = null;
        await writer?.close().catch(() => {});
      },
      backoff: options.backoff,
      stopTimeoutMs: options.stopTimeoutMs ?? 5000,
      logger: this.#log,
    });
  }

  /** A snapshot of the counters. */
  get stats(): RecorderStats {
    return { ...this.#stats, restarts: this.#supervisor.restarts };
  }

  /** ffmpeg's pid while it runs (diagnostics, tests). */
  get pid(): number | null {
    return this.#supervisor.pid;
  }

  /** The stamp of the latest ffmpeg run (its unlisted segment may be open), or null. */
  get currentRun(): string | null {
    return this.#run;
  }

  /** True when ffmpeg is running and ready for data. */
  get ready(): boolean {
    return this.#writer !== null;
  }

  /** Creates the directory, sweeps once, starts ffmpeg and the periodic sweep. */
  async start(): Promise<void> {
    await Deno.mkdir(this.#o.dir, { recursive: true, mode: 0o700 });
    await this.sweep();
    this.#supervisor.start();
    this.#sweepTimer = setInterval(() => void this.sweep(), this.#o.sweepIntervalMs ?? 30_000);
  }

  /**
   * Writes one access unit. Returns a promise while the pipe accepts it (await
   * it for backpressure), or nothing when the unit is dropped.
   */
  write(au: AccessUnit): Promise<void> | void {
    const nalus = this.#parameterSets.complete(au.nalus, au.keyframe);
    const writer = this.#writer;
    if (!writer || this.#stopping || (this.#needKeyframe && !au.keyframe)) {
      this.#stats.dropped++;
      return;
    }
    this.#needKeyframe = false;
    const bytes = toAnnexB(nalus);
    return writer.write(bytes).then(
      () => {
        this.#stats.written++;
        this.#stats.bytes += bytes.length;
      },
      () => {
        // ffmpeg went away; the supervisor restarts it and we resume on a keyframe.
        this.#stats.dropped++;
        if (this.#writer === writer) this.#needKeyframe = true;
      },
    );
  }

  /** Applies the retention policy now (the segment being written is kept). */
  sweep(): Promise<void> {
    this.#sweeping = this.#sweeping.then(async () => {
      try {
        const { removed, droppedPending } = await sweepSegments(
          this.#o.dir,
          this.#o.retention ?? DEFAULT_RETENTION,
          { protectNewest: !this.#stopping, uploads: this.#o.uploads },
        );
        this.#stats.deleted += removed.length;
        if (droppedPending.length > 0) {
          this.#log.warn("recorder: over the quota, deleted segments never uploaded", {
            droppedPending,
          });
        }
        if (removed.length > 0) this.#log.info("recorder: retention deleted segments", { removed });
      } catch (error) {
        this.#log.error("recorder: retention sweep failed", { error: String(error) });
      }
    });
    return this.#sweeping;
  }

  /** Finalizes the current segment (stdin EOF), stops ffmpeg and sweeping. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#sweepTimer);
    await this.#supervisor.stop();
    await this.#sweeping;
  }
}
