/**
 * Copies finished segments off the device: `PUT /device/recordings/<camera>/<id>`
 * over the device's mTLS connection (outbound only, like everything else), with
 * the segment's SHA-256 and wall-clock span, oldest first, paced to
 * `record.uploadKbps` so a backlog never starves live viewers. The server
 * acknowledges with 201 (stored) or 200 (already stored, same hash); only then
 * is the `.uploaded` marker written, and the recorder's retention may delete
 * the local copy. An interrupted upload is simply sent again: the PUT is
 * idempotent for the same bytes.
 *
 * @module
 */

import type { Logger } from "../../lib/log.ts";
import { type FinishedSegment, finishedSegments, UPLOADED_SUFFIX } from "./catalog.ts";

/** Where and as whom to upload (a fresh mTLS client per pass picks up renewals). */
export interface UploadTarget {
  baseUrl: string;
  deviceId: string;
  client: Deno.HttpClient;
}

/** Options of {@linkcode SegmentUploader}. */
export interface UploaderOptions {
  /** The recording directory. */
  dir: string;
  /** Upload bandwidth cap in kbit/s (0: none). */
  kbps: number;
  /** The recorder's current run (its unlisted segment is still being written). */
  currentRun: () => string | null;
  /** Opens the mTLS client (the caller closes nothing: the uploader closes it). */
  connect: () => Promise<UploadTarget>;
  /** Time between scans of the directory (default 5 s). */
  intervalMs?: number;
  logger: Logger;
}

/** Counters of a {@linkcode SegmentUploader}. */
export interface UploaderStats {
  uploaded: number;
  bytes: number;
  failures: number;
  /** Segments the server refused for good (e.g. 409: it holds other bytes under that id). */
  refused: number;
}

const CHUNK = 16 * 1024;

/** A body that sends `data` no faster than `kbps` (0: at once). */
export function pacedBody(data: Uint8Array, kbps: number): ReadableStream<Uint8Array> {
  const bytesPerMs = kbps / 8;
  const started = performance.now();
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent >= data.length) return controller.close();
      if (kbps > 0) {
        const due = started + sent / bytesPerMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const end = Math.min(data.length, sent + CHUNK);
      controller.enqueue(data.subarray(sent, end));
      sent = end;
    },
  });
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Uploads finished segments in the background. */
export class SegmentUploader {
  readonly #o: UploaderOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  #refused = new Set<string>();
  #retryAt = 0;
  #stats: UploaderStats = { uploaded: 0, bytes: 0, failures: 0, refused: 0 };
  #abort = new AbortController();

  constructor(options: UploaderOptions) {
    this.#o = options;
  }

  /** A snapshot of the counters. */
  get stats(): UploaderStats {
    return { ...this.#stats };
  }

  /** Starts the periodic scans. */
  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.uploadPending().then(() => {}, () => {}).finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs ?? 5000);
      });
    };
    tick();
  }

  /** Stops scanning and aborts an upload in flight (it is sent again next time). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  /** One pass: uploads every pending segment, oldest first; stops at the first failure. */
  async uploadPending(): Promise<number> {
    if (Date.now() < this.#retryAt) return 0;
    const pending = (await finishedSegments(this.#o.dir, this.#o.currentRun()))
      .filter((s) => !s.uploaded && !this.#refused.has(s.name));
    if (pending.length === 0) return 0;
    let target: UploadTarget;
    try {
      target = await this.#o.connect();
    } catch (err) {
      this.#fail(`cannot reach the server: ${(err as Error).message}`, 5000);
      return 0;
    }
    let done = 0;
    try {
      for (const seg of pending) {
        if (this.#stopped) break;
        if (!(await this.#uploadOne(target, seg))) break;
        done++;
      }
    } finally {
      target.client.close();
    }
    return done;
  }

  #fail(why: string, retryMs: number): void {
    this.#stats.failures++;
    this.#retryAt = Date.now() + retryMs;
    this.#o.logger.warn(`uploader: ${why}; retrying in ${Math.round(retryMs / 1000)} s`);
  }

  async #uploadOne(t: UploadTarget, seg: FinishedSegment): Promise<boolean> {
    let data: Uint8Array;
    try {
      data = await Deno.readFile(`${this.#o.dir}/${seg.name}`);
    } catch {
      return true; // deleted meanwhile (retention)
    }
    const url = `${t.baseUrl}/device/recordings/${encodeURIComponent(t.deviceId)}/${seg.id}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "PUT",
        client: t.client,
        signal: this.#abort.signal,
        headers: {
          "content-type": "video/mp4",
          "content-length": String(data.length),
          "x-vigil-sha256": await sha256Hex(data),
          "x-vigil-start": new Date(seg.startMs).toISOString(),
          "x-vigil-end": new Date(seg.endMs).toISOString(),
        },
        body: pacedBody(data, this.#o.kbps),
      });
    } catch (err) {
      if (!this.#stopped) this.#fail(`upload of ${seg.id} failed: ${(err as Error).message}`, 3000);
      return false;
    }
    const text = (await res.text().catch(() => "")).slice(0, 300);
    if (res.status === 200 || res.status === 201) {
      await Deno.writeFile(`${this.#o.dir}/${seg.name}${UPLOADED_SUFFIX}`, new Uint8Array());
      this.#stats.uploaded++;
      this.#stats.bytes += data.length;
      this.#o.logger.info(`uploader: ${seg.id} stored (${data.length} bytes)`);
      return true;
    }
    // 409 in_progress: the server still reads an earlier try of this segment.
    if (res.status === 429 || res.status >= 500 || /"in_progress"/.test(text)) {
      const after = Number(res.headers.get("retry-after") ?? "5");
      this.#fail(`server busy (${res.status})`, (Number.isFinite(after) ? after : 5) * 1000);
      return false;
    }
    // 4xx: the server will never take these bytes under this id; do not loop on it.
    this.#refused.add(seg.name);
    this.#stats.refused++;
    this.#o.logger.error(`uploader: ${seg.id} refused (${res.status}): ${text}`);
    return true;
  }
}
