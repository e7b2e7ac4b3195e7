/**
 * Snapshots for the camera list: every `intervalMs` the latest keyframe
 * (with its SPS/PPS) is decoded by ffmpeg into a small JPEG and sent with
 * `PUT /device/snapshot` over the device's mTLS connection. Only a keyframe
 * is decoded, so the cost is one I-frame decode per interval.
 * @module
 */

import type { AccessUnit } from "../media/access_unit.ts";
import { toAnnexB } from "../media/annexb.ts";
import { ParameterSetCache } from "../media/parameter_sets.ts";
import type { Logger } from "../../lib/log.ts";
import type { UploadTarget } from "./uploader.ts";

/** The ffmpeg arguments turning one Annex-B keyframe on stdin into a JPEG on stdout. */
export function snapshotArgs(width = 640): string[] {
  // deno-fmt-ignore
  return [
    "-hide_banner", "-loglevel", "error", "-nostats",
    "-f", "h264", "-i", "pipe:0",
    "-frames:v", "1",
    "-vf", `scale=${width}:-2`,
    "-q:v", "6",
    "-f", "image2pipe", "-c:v", "mjpeg", "pipe:1",
  ];
}

/** Options of {@linkcode Snapshotter}. */
export interface SnapshotterOptions {
  intervalMs: number;
  ffmpeg?: string;
  connect: () => Promise<UploadTarget>;
  logger: Logger;
}

/** Keeps the latest keyframe and sends a JPEG of it periodically. */
export class Snapshotter {
  readonly #o: SnapshotterOptions;
  readonly #sets = new ParameterSetCache();
  #latest: Uint8Array | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(o: SnapshotterOptions) {
    this.#o = o;
  }

  /** Feed every access unit (a fan-out subscriber); keeps keyframes only. */
  write(au: AccessUnit): void {
    const nalus = this.#sets.complete(au.nalus, au.keyframe);
    if (au.keyframe) this.#latest = toAnnexB(nalus);
  }

  start(): void {
    this.#timer = setInterval(() => void this.takeOne(), this.#o.intervalMs);
    setTimeout(() => void this.takeOne(), 1000);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Decodes the latest keyframe and sends it; false if nothing was sent. */
  async takeOne(): Promise<boolean> {
    const keyframe = this.#latest;
    if (!keyframe || this.#busy) return false;
    this.#busy = true;
    try {
      const child = new Deno.Command(this.#o.ffmpeg ?? "ffmpeg", {
        args: snapshotArgs(),
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(keyframe).catch(() => {});
      await w.close().catch(() => {});
      const out = await child.output();
      if (!out.success || out.stdout.length === 0) return false;
      const t = await this.#o.connect();
      try {
        const res = await fetch(`${t.baseUrl}/device/snapshot`, {
          method: "PUT",
          client: t.client,
          headers: { "content-type": "image/jpeg" },
          body: out.stdout,
        });
        await res.body?.cancel();
        return res.status === 204;
      } finally {
        t.client.close();
      }
    } catch (err) {
      this.#o.logger.warn(`snapshot: ${(err as Error).message}`);
      return false;
    } finally {
      this.#busy = false;
    }
  }
}
