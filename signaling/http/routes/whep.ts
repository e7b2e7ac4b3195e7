/**
 * WHEP (draft-ietf-wish-whep): the viewer initiates with a recvonly offer.
 * Token and permission are checked before anything reaches the publisher;
 * the offer travels over the bus to the camera's publisher and its answer
 * returns as the 201. PATCH trickles candidates, DELETE ends the session.
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ServerContext } from "../../context.ts";
import { BusError } from "../../bus/bus.ts";
import { DEVICE_ID } from "../../store/ids.ts";
import type { ControlMessage, OfferReply, OfferRequest } from "../../devices/hub.ts";
import { deviceExists, isDeviceActive } from "../../store/devices.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./errors.ts";
import { mayWatch, requireViewer } from "./auth.ts";
import { checkOffer } from "../../sessions/sdp.ts";

/** Largest accepted offer or sdpfrag. */
export const MAX_SDP_BYTES = 16 * 1024;

async function readLimited(c: Context<AppEnv>, limit: number): Promise<string | null> {
  const len = Number(c.req.header("content-length") ?? "0");
  if (len > limit) return null;
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > limit) return null;
  return new TextDecoder().decode(buf);
}

/** WHEP routes on `/whep/:camera`. */
export function whepRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use("/whep/*", requireViewer(ctx));

  app.on(
    "OPTIONS",
    "/whep/:camera",
    (c) => c.body(null, 204, { "accept-post": "application/sdp", allow: "POST, OPTIONS" }),
  );

  app.post("/whep/:camera", async (c) => {
    const viewer = c.get("viewer");
    const camera = c.req.param("camera");
    const audit = (event: string, extra: Record<string, unknown>) =>
      ctx.audit.log(event, { camera, viewer: viewer.sub, ip: c.env.remoteAddr, ...extra });
    // Scope first: a viewer learns nothing about cameras outside it.
    if (!mayWatch(viewer.cams, camera)) {
      audit("session.refused", { reason: "not permitted" });
      return problem(c, 403, "forbidden", `you may not watch camera "${camera.slice(0, 64)}"`);
    }
    if (!DEVICE_ID.safeParse(camera).success || !deviceExists(ctx.db, camera)) {
      return problem(c, 404, "unknown_camera", `no camera "${camera.slice(0, 64)}"`);
    }
    if (mediaType(c) !== "application/sdp") {
      return problem(
        c,
        415,
        "unsupported_media_type",
        "a WHEP offer is Content-Type: application/sdp",
      );
    }
    const sdp = await readLimited(c, MAX_SDP_BYTES);
    if (sdp === null) {
      return problem(c, 413, "too_large", `the offer exceeds ${MAX_SDP_BYTES} bytes`);
    }
    const bad = checkOffer(sdp);
    if (bad) return problem(c, 400, "bad_offer", bad);
    if (!isDeviceActive(ctx.db, camera) || !ctx.bus.hasResponder(`camera.${camera}.offer`)) {
      return problem(c, 503, "camera_offline", `camera "${camera}" is offline`, {
        "retry-after": "5",
      });
    }
    const session = ctx.sessions.admit(camera, viewer.sub, viewer.sid);
    if (typeof session === "string") {
      audit("session.refused", { reason: session });
      const message = session === "camera_full"
        ? `camera "${camera}" has the most viewers it accepts`
        : "you have too many sessions open; close one first";
      return problem(c, 429, session, message, { "retry-after": "10" });
    }
    let reply: OfferReply;
    try {
      reply = await ctx.bus.request<OfferRequest, OfferReply>(
        `camera.${camera}.offer`,
        { sessionId: session.id, sdp, viewer: viewer.sub },
        ctx.config.answerTimeoutMs,
      );
    } catch (err) {
      ctx.sessions.remove(session.id);
      if (err instanceof BusError && err.code === "timeout") {
        ctx.bus.publish<ControlMessage>(`camera.${camera}.control`, {
          type: "close",
          sessionId: session.id,
          reason: "answer timeout",
        });
        audit("session.refused", { reason: "answer timeout" });
        return problem(c, 504, "answer_timeout", `camera "${camera}" did not answer in time`);
      }
      return problem(c, 503, "camera_offline", `camera "${camera}" is offline`, {
        "retry-after": "5",
      });
    }
    if ("status" in reply) {
      ctx.sessions.remove(session.id);
      audit("session.refused", { reason: reply.message, status: reply.status });
      const code = reply.status === 400
        ? "bad_offer"
        : reply.status === 429
        ? "camera_full"
        : "publisher_busy";
      return problem(
        c,
        reply.status,
        code,
        reply.message,
        reply.status === 400 ? {} : { "retry-after": "5" },
      );
    }
    if (!ctx.sessions.get(session.id)) {
      return problem(c, 503, "camera_offline", `camera "${camera}" went offline`);
    }
    audit("session.start", { session: session.id });
    const location = `/whep/${camera}/sessions/${session.id}`;
    return c.body(reply.sdp, 201, {
      "content-type": "application/sdp",
      location,
      etag: `"${session.id}"`,
      "cache-control": "no-store",
    });
  });

  function ownSession(c: Context<AppEnv>) {
    const s = ctx.sessions.get(c.req.param("sid") ?? "");
    if (!s || s.camera !== c.req.param("camera") || s.viewer !== c.get("viewer").sub) return null;
    return s;
  }

  app.patch("/whep/:camera/sessions/:sid", async (c) => {
    const s = ownSession(c);
    if (!s) return problem(c, 404, "unknown_session", "no such session");
    if (mediaType(c) !== "application/trickle-ice-sdpfrag") {
      return problem(
        c,
        415,
        "unsupported_media_type",
        "trickle ICE is application/trickle-ice-sdpfrag",
      );
    }
    const frag = await readLimited(c, MAX_SDP_BYTES);
    if (frag === null) return problem(c, 413, "too_large", "the sdpfrag is too large");
    const lines = frag.split(/\r?\n/).filter((l) =>
      /^a=(candidate:|end-of-candidates|ice-ufrag:|ice-pwd:)/.test(l)
    );
    if (lines.some((l) => l.length > 512)) {
      return problem(c, 400, "bad_sdpfrag", "a candidate line is too long");
    }
    if (lines.length > 0) {
      ctx.bus.publish<ControlMessage>(`camera.${s.camera}.control`, {
        type: "candidate",
        sessionId: s.id,
        candidate: lines.join("\r\n"),
      });
    }
    return c.body(null, 204);
  });

  app.delete("/whep/:camera/sessions/:sid", (c) => {
    const s = ownSession(c);
    if (!s) return problem(c, 404, "unknown_session", "no such session");
    ctx.sessions.remove(s.id);
    ctx.bus.publish<ControlMessage>(`camera.${s.camera}.control`, {
      type: "close",
      sessionId: s.id,
      reason: "viewer left",
    });
    ctx.audit.log("session.end", {
      session: s.id,
      camera: s.camera,
      viewer: s.viewer,
      by: "viewer",
    });
    return c.body(null, 200);
  });
  return app;
}

/** The request's media type, without parameters, lower-cased ("" when absent). */
function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}
