/**
 * `PUT /device/recordings/<camera>/<segment>` on the mTLS device listener: a
 * camera uploads one finished segment with its SHA-256 and wall-clock span
 * (PROTOCOL.md "Recordings"). The camera is the certificate's; the path's
 * must match it. Size-capped while reading, rate-limited per camera,
 * idempotent (the same bytes again: 200), every refusal audited.
 * @module
 */
import { Hono } from "hono";
import type { HttpBindings } from "@hono/node-server";
import type { ServerContext } from "../../context.ts";
import type { DeviceIdentity } from "../../devices/identity.ts";
import { problem } from "./errors.ts";
import { looksLikeJpeg } from "../../recordings/snapshots.ts";
import { readCapped } from "../../../lib/read_capped.ts";

/** Largest snapshot a camera may send. */
const MAX_SNAPSHOT_BYTES = 512 * 1024;

type DeviceEnv = { Bindings: HttpBindings; Variables: { device: DeviceIdentity } };

/** At most `max` events per camera per minute (fixed one-minute windows). */
export class PerMinute {
  readonly #max: number;
  readonly #windows = new Map<string, { start: number; n: number }>();
  constructor(max: number) {
    this.#max = max;
  }
  /** Counts one event; the seconds to wait if over the limit, else 0. */
  take(key: string, now = Date.now()): number {
    const w = this.#windows.get(key);
    if (!w || now - w.start >= 60_000) {
      this.#windows.set(key, { start: now, n: 1 });
      if (this.#windows.size > 10_000) this.#windows.delete(this.#windows.keys().next().value!);
      return 0;
    }
    if (w.n >= this.#max) return Math.ceil((w.start + 60_000 - now) / 1000);
    w.n++;
    return 0;
  }
}

const iso = (v: string | undefined) => (v && v.length <= 40 ? Date.parse(v) : NaN);

/** The device recordings route (mounted after the device listener's mTLS check). */
export function deviceRecordingRoutes(ctx: ServerContext) {
  const app = new Hono<DeviceEnv>();
  const uploads = new PerMinute(ctx.config.recordingsUploadsPerMinute);
  app.put("/device/recordings/:camera/:segment", async (c) => {
    const d = c.get("device");
    const segment = c.req.param("segment").slice(0, 100);
    const refused = (status: number, code: string, message: string) => {
      ctx.audit.log("recording.refused", { device: d.deviceId, segment, reason: code });
      return problem(c, status as 400, code, message);
    };
    if (c.req.param("camera") !== d.deviceId) {
      await c.req.raw.body?.cancel().catch(() => {});
      return refused(403, "camera_mismatch", "a camera uploads only its own recordings");
    }
    const wait = uploads.take(d.deviceId);
    if (wait > 0) {
      await c.req.raw.body?.cancel().catch(() => {});
      c.header("retry-after", String(wait));
      return refused(429, "rate_limited", "too many uploads; retry later");
    }
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > ctx.config.recordingsMaxSegmentBytes) {
      await c.req.raw.body?.cancel().catch(() => {});
      return refused(
        413,
        "too_large",
        `a segment may have at most ${ctx.config.recordingsMaxSegmentBytes} bytes`,
      );
    }
    const r = await ctx.recordings.ingest({
      camera: d.deviceId,
      segment,
      sha256: (c.req.header("x-vigil-sha256") ?? "").toLowerCase(),
      startMs: iso(c.req.header("x-vigil-start")),
      endMs: iso(c.req.header("x-vigil-end")),
    }, c.req.raw.body);
    if (!r.ok) return refused(r.status, r.code, r.message);
    if (r.status === 201) {
      ctx.audit.log("recording.stored", {
        device: d.deviceId,
        segment,
        bytes: r.record.bytes,
        start: new Date(r.record.startMs).toISOString(),
      });
      void ctx.recordings.sweep();
    }
    return c.json({
      segment,
      bytes: r.record.bytes,
      stored: r.status === 201 ? "now" : "already",
    }, r.status);
  });
  // The latest snapshot (JPEG of a keyframe), at most one per Snapshots.minIntervalMs.
  app.put("/device/snapshot", async (c) => {
    const d = c.get("device");
    const refused = (status: number, code: string, message: string) => {
      ctx.audit.log("snapshot.refused", { device: d.deviceId, reason: code });
      return problem(c, status as 400, code, message);
    };
    const wait = ctx.snapshots.waitSeconds(d.deviceId);
    if (wait > 0) {
      await c.req.raw.body?.cancel().catch(() => {});
      c.header("retry-after", String(wait));
      return refused(429, "rate_limited", "one snapshot every few seconds at most");
    }
    const jpeg = await readCapped(c.req.raw.body, MAX_SNAPSHOT_BYTES).catch(() => null);
    if (jpeg === "too_large") {
      return refused(413, "too_large", `a snapshot may have at most ${MAX_SNAPSHOT_BYTES} bytes`);
    }
    if (!jpeg || !looksLikeJpeg(jpeg)) return refused(422, "not_jpeg", "a snapshot is a JPEG");
    ctx.snapshots.put(d.deviceId, jpeg);
    return c.body(null, 204);
  });
  return app;
}
