/**
 * Watching recordings (PROTOCOL.md "Recordings"): a day's segments of a
 * camera, each segment as `video/mp4` with Range (RFC 9110 §14) through a
 * short-lived signed URL a `<video>` element can load, one MP4 of a span
 * (fragments joined without re-encoding), and the camera's latest snapshot.
 *
 * Recordings are a grant apart from live viewing: the user's `recordings`
 * list is read from the store on every request (a `user:set --recordings`
 * applies at once), a refusal is 403 and audited, and so is every list,
 * view and download.
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ServerContext } from "../../context.ts";
import type { AppEnv } from "./env.ts";
import { mayWatch } from "../../auth/scope.ts";
import { DEVICE_ID } from "../../store/ids.ts";
import { SEGMENT_ID } from "../../recordings/archive.ts";
import { buildClip } from "../../recordings/fmp4.ts";
import { SealedSegmentError, type SegmentReader } from "../../recordings/sealed_segment.ts";
import { requireViewer } from "./auth.ts";
import { problem } from "./errors.ts";

/** Lifetime of a signed segment URL. */
export const SIGNED_URL_TTL_MS = 10 * 60_000;
/** The longest span one listing or clip may cover. */
const MAX_LIST_MS = 7 * 86_400_000;
const MAX_CLIP_MS = 3600_000;

/** Signs and checks segment URLs with a key that lives as long as the process. */
export class UrlSigner {
  readonly #key = crypto.getRandomValues(new Uint8Array(32));
  #mac(parts: string[]): Buffer {
    return createHmac("sha256", this.#key).update(parts.join("\n")).digest();
  }
  /** `exp` (Unix seconds) and `sig` (base64url) for one user and one segment. */
  sign(user: string, camera: string, segment: string, nowMs = Date.now()) {
    const exp = String(Math.floor((nowMs + SIGNED_URL_TTL_MS) / 1000));
    return { exp, sig: this.#mac([user, camera, segment, exp]).toString("base64url") };
  }
  /** Whether `sig` is this server's for these values and not expired (constant time). */
  verify(user: string, camera: string, segment: string, exp: string, sig: string): boolean {
    if (!/^\d{1,12}$/.test(exp) || Number(exp) * 1000 < Date.now()) return false;
    const want = this.#mac([user, camera, segment, exp]);
    const got = Buffer.from(sig, "base64url");
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

/** Parses a single `Range: bytes=…` against a size; null: whole body; "bad": 416. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | "bad" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return "bad";
  let start: number, end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "bad";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return "bad";
  return { start, end };
}

const iso = (v: string | undefined) => (v && v.length <= 40 ? Date.parse(v) : NaN);

/** The recordings and snapshot routes of the public app. */
export function recordingRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  const signer = new UrlSigner();

  /** The user's recordings grant for `camera`, from the store (null: allowed). */
  const denied = async (c: Context<AppEnv>, user: string, camera: string, route: string) => {
    const u = await ctx.store.users.find(user);
    const active = await ctx.store.devices.exists(camera);
    if (u && active && mayWatch(u.recordings, camera)) return null;
    ctx.audit.log("recording.denied", { user, camera, route, ip: c.env.remoteAddr });
    if (u && !active && mayWatch(u.recordings, camera)) {
      return problem(c, 404, "not_found", `no camera "${camera}"`);
    }
    return problem(c, 403, "forbidden", "you may not watch this camera's recordings");
  };

  const span = (c: Context<AppEnv>, maxMs: number) => {
    const from = iso(c.req.query("from"));
    const to = iso(c.req.query("to"));
    if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) {
      return "from and to must be ISO 8601 times with from < to";
    }
    if (to - from > maxMs) return `a span may cover at most ${maxMs / 3600_000} h`;
    return { from, to };
  };

  /** A stored file that does not open: altered on disk or another key. Audited; no detail sent. */
  const unreadable = (c: Context<AppEnv>, camera: string, segment: string, err: Error) => {
    ctx.audit.log("recording.unreadable", { camera, segment, reason: err.message.slice(0, 200) });
    return problem(c, 500, "unreadable", "this recording cannot be read on the server");
  };

  // Segment files: a signed URL (a <video> element sends no Authorization header).
  app.get("/media/recordings/:camera/:file", async (c) => {
    const camera = c.req.param("camera");
    const segment = c.req.param("file").replace(/\.mp4$/, "");
    const user = c.req.query("user") ?? "";
    const exp = c.req.query("exp") ?? "";
    const sig = c.req.query("sig") ?? "";
    if (
      !DEVICE_ID.safeParse(camera).success || !SEGMENT_ID.test(segment) ||
      !signer.verify(user, camera, segment, exp, sig)
    ) {
      ctx.audit.log("recording.denied", {
        user: user.slice(0, 64),
        camera: camera.slice(0, 64),
        route: "segment",
        reason: "bad or expired signature",
        ip: c.env.remoteAddr,
      });
      return problem(
        c,
        403,
        "forbidden",
        "this link is invalid or expired; list the recordings again",
      );
    }
    const no = await denied(c, user, camera, "segment");
    if (no) return no;
    const rec = await ctx.store.recordings.find(camera, segment);
    if (!rec) return problem(c, 404, "not_found", "no such recording (deleted by retention?)");
    let file: SegmentReader;
    try {
      file = await ctx.recordings.open(camera, segment);
    } catch (err) {
      if (err instanceof SealedSegmentError) return unreadable(c, camera, segment, err);
      return problem(c, 404, "not_found", "no such recording");
    }
    const size = file.size;
    const range = parseRange(c.req.header("range"), size);
    try {
      // The range's first chunk opens before the answer starts (a later one failing cuts it).
      if (range !== "bad" && size > 0) await file.readAt(range?.start ?? 0, 1);
    } catch (err) {
      file.close();
      return unreadable(c, camera, segment, err as Error);
    }
    const headers: Record<string, string> = {
      "content-type": "video/mp4",
      "accept-ranges": "bytes",
      "cache-control": "private, max-age=600",
    };
    if (range === "bad") {
      file.close();
      return c.body(null, 416, { ...headers, "content-range": `bytes */${size}` });
    }
    if (!range || range.start === 0) {
      ctx.audit.log("recording.viewed", { user, camera, segment, ip: c.env.remoteAddr });
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    return c.body(file.stream(start, end), range ? 206 : 200, {
      ...headers,
      "content-length": String(end - start + 1),
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    });
  });

  app.use("/api/cameras/:id/recordings", requireViewer(ctx));
  app.use("/api/cameras/:id/clip", requireViewer(ctx));
  app.use("/api/cameras/:id/snapshot", requireViewer(ctx));

  app.get("/api/cameras/:id/recordings", async (c) => {
    const camera = c.req.param("id");
    const user = c.get("viewer").sub;
    const no = await denied(c, user, camera, "list");
    if (no) return no;
    const s = span(c, MAX_LIST_MS);
    if (typeof s === "string") return problem(c, 400, "bad_span", s);
    const rows = await ctx.store.recordings.list(camera, s.from, s.to);
    ctx.audit.log("recording.listed", {
      user,
      camera,
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
      segments: rows.length,
    });
    c.header("cache-control", "no-store");
    return c.json({
      segments: rows.map((r) => {
        const { exp, sig } = signer.sign(user, camera, r.segment);
        const q = new URLSearchParams({ user, exp, sig });
        return {
          start: new Date(r.startMs).toISOString(),
          end: new Date(r.endMs).toISOString(),
          bytes: r.bytes,
          url: `/media/recordings/${camera}/${r.segment}.mp4?${q}`,
        };
      }),
    });
  });

  app.get("/api/cameras/:id/clip", async (c) => {
    const camera = c.req.param("id");
    const user = c.get("viewer").sub;
    const no = await denied(c, user, camera, "clip");
    if (no) return no;
    const s = span(c, MAX_CLIP_MS);
    if (typeof s === "string") return problem(c, 400, "bad_span", s);
    const rows = await ctx.store.recordings.list(camera, s.from, s.to);
    const sources = [];
    for (const r of rows) {
      let seg: SegmentReader;
      try {
        seg = await ctx.recordings.open(camera, r.segment);
      } catch (err) {
        if (err instanceof SealedSegmentError) {
          ctx.audit.log("recording.unreadable", {
            camera,
            segment: r.segment,
            reason: err.message,
          });
        }
        continue; // deleted by retention meanwhile, or unreadable: the clip goes without it
      }
      try {
        sources.push({ data: await seg.readAll(), startMs: r.startMs });
      } catch (err) {
        ctx.audit.log("recording.unreadable", {
          camera,
          segment: r.segment,
          reason: (err as Error).message,
        });
      } finally {
        seg.close();
      }
    }
    const clip = sources.length ? buildClip(sources, s.from, s.to) : null;
    if (!clip) return problem(c, 404, "not_found", "nothing was recorded in this span");
    ctx.audit.log("recording.downloaded", {
      user,
      camera,
      from: new Date(s.from).toISOString(),
      to: new Date(s.to).toISOString(),
      bytes: clip.bytes.length,
    });
    const stamp = new Date(clip.startMs).toISOString().replace(/[-:]/g, "").replace(/\..*/, "Z");
    return c.body(clip.bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "video/mp4",
      "content-length": String(clip.bytes.length),
      "content-disposition": `attachment; filename="${camera}-${stamp}.mp4"`,
      "x-vigil-clip-start": new Date(clip.startMs).toISOString(),
      "cache-control": "no-store",
    });
  });

  // The snapshot is a still of the live picture: the live grant applies.
  app.get("/api/cameras/:id/snapshot", (c) => {
    const camera = c.req.param("id");
    if (!mayWatch(c.get("viewer").cams, camera)) {
      return problem(c, 403, "forbidden", "you may not watch this camera");
    }
    const snap = ctx.snapshots.get(camera);
    if (!snap) return problem(c, 404, "not_found", "no snapshot of this camera yet");
    return c.body(snap.jpeg as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "image/jpeg",
      "cache-control": "private, max-age=5",
      "last-modified": new Date(snap.at).toUTCString(),
    });
  });
  return app;
}
