/**
 * Test support for recordings: real fMP4 segments made by the publisher's
 * recorder (ffmpeg -c copy) from the sample clip, and an uploader wired to an
 * enrolled device's mTLS credentials.
 * @module
 */
import { assembleAccessUnits, splitAnnexB } from "../../publisher/media/annexb.ts";
import { SAMPLE_CLIP_PATH } from "../../publisher/sources/config.ts";
import { SegmentRecorder } from "../../publisher/recorder/segment_recorder.ts";
import { SegmentUploader } from "../../publisher/recorder/uploader.ts";
import { silentLogger } from "../../lib/log.ts";
import type { EnrolledDevice } from "./server.ts";
import { join } from "node:path";
import { loadFootageKey } from "../../signaling/recordings/footage_key_file.ts";
import { openSegment } from "../../signaling/recordings/sealed_segment.ts";

/**
 * Records `seconds` of the sample clip (30 fps, a keyframe every second) into
 * `dir` as segments of `segmentSeconds`, as fast as ffmpeg takes them; returns
 * the recorder's run stamp. The wall-clock span is the run's, so segments made
 * in a burst get start times one segment apart from the run start.
 */
export async function recordSample(
  dir: string,
  seconds: number,
  segmentSeconds = 1,
): Promise<void> {
  const raw = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE_CLIP_PATH)));
  const recorder = new SegmentRecorder({
    dir,
    fps: 30,
    segmentSeconds,
    logger: silentLogger,
    uploads: true,
  });
  await recorder.start();
  const deadline = Date.now() + 10_000;
  while (!recorder.ready) {
    if (Date.now() > deadline) throw new Error("ffmpeg did not start");
    await new Promise((r) => setTimeout(r, 10));
  }
  for (let i = 0; i < seconds * 30; i++) {
    const au = raw[i % raw.length];
    await recorder.write({ ...au, timestamp: i * 3000, captureTimeMs: Date.now() });
  }
  await recorder.stop();
}

/** An uploader for `dir` as `device` (a fresh mTLS client per pass, as the publisher does). */
export function deviceUploader(
  dir: string,
  device: EnrolledDevice,
  caPem: string,
  o: { kbps?: number; base?: string } = {},
): SegmentUploader {
  return new SegmentUploader({
    dir,
    kbps: o.kbps ?? 0,
    currentRun: () => null,
    connect: () =>
      Promise.resolve({
        baseUrl: o.base ?? device.deviceBase,
        deviceId: device.deviceId,
        client: Deno.createHttpClient({
          caCerts: [caPem],
          cert: device.certPem,
          key: device.keyPem,
        }),
      }),
    intervalMs: 200,
    logger: silentLogger,
  });
}

/** SHA-256 of bytes, hex. */
export async function sha256Of(data: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A segment as a server with `dataDir` stored it: its plaintext, read through
 * the seal with the data dir's footage key, after checking that the file on
 * disk is sealed (nothing of the MP4 in the clear).
 */
export async function storedSegment(
  dataDir: string,
  camera: string,
  segment: string,
): Promise<Uint8Array> {
  const path = join(dataDir, "recordings", camera, `${segment}.mp4`);
  const raw = await Deno.readFile(path);
  if (new TextDecoder("latin1").decode(raw.subarray(0, 4)) !== "VGLS") {
    throw new Error(`${path} is not sealed`);
  }
  if (new TextDecoder("latin1").decode(raw).includes("ftyp")) {
    throw new Error(`${path} holds MP4 boxes in the clear`);
  }
  const r = await openSegment(path, await loadFootageKey(dataDir, null), camera, segment);
  try {
    return await r.readAll();
  } finally {
    r.close();
  }
}
