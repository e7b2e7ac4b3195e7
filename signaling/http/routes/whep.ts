/**
 * WHEP (draft-ietf-wish-whep) over HTTP: the viewer initiates with a recvonly
 * offer; POST answers 201 with the publisher's answer and the session URL,
 * PATCH trickles candidates, DELETE ends the session. Everything about a
 * session (who may watch, limits, relaying, its end) is
 * sessions/viewing.ts's; this file only speaks HTTP: media types, body
 * limits enforced while reading, status codes and headers.
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ServerContext } from "../../context.ts";
import { SessionError } from "../../sessions/viewing.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./errors.ts";
import { requireViewer } from "./auth.ts";

/** Largest accepted offer or sdpfrag. */
export const MAX_SDP_BYTES = 16 * 1024;

/**
 * The body as text, or null when it exceeds `limit`. The public app's body
 * limit (64 KiB, public_app.ts) already stops reading a larger one.
 */
async function readLimited(c: Context<AppEnv>, limit: number): Promise<string | null> {
  const len = Number(c.req.header("content-length") ?? "0");
  if (len > limit) return null;
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > limit) return null;
  return new TextDecoder().decode(buf);
}

/** A refusal of the session owner as a JSON problem; anything else is a 500. */
function refusal(c: Context, err: unknown): Response {
  if (!(err instanceof SessionError)) throw err;
  const headers: Record<string, string> = err.retryAfterS !== undefined
    ? { "retry-after": String(err.retryAfterS) }
    : {};
  return problem(c, err.status, err.code, err.message, headers);
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
    try {
      // Scope first: a viewer learns nothing about cameras outside it.
      ctx.viewing.checkAccess(viewer, camera, c.env.remoteAddr);
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
      const { session, answer } = await ctx.viewing.open(viewer, camera, sdp, c.env.remoteAddr);
      return c.body(answer, 201, {
        "content-type": "application/sdp",
        location: `/whep/${camera}/sessions/${session.id}`,
        etag: `"${session.id}"`,
        "cache-control": "no-store",
      });
    } catch (err) {
      return refusal(c, err);
    }
  });

  app.patch("/whep/:camera/sessions/:sid", async (c) => {
    try {
      const session = ctx.viewing.find(c.get("viewer"), c.req.param("camera"), c.req.param("sid"));
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
      ctx.viewing.trickle(session, frag);
      return c.body(null, 204);
    } catch (err) {
      return refusal(c, err);
    }
  });

  app.delete("/whep/:camera/sessions/:sid", (c) => {
    try {
      ctx.viewing.leave(
        ctx.viewing.find(c.get("viewer"), c.req.param("camera"), c.req.param("sid")),
      );
      return c.body(null, 200);
    } catch (err) {
      return refusal(c, err);
    }
  });
  return app;
}

/** The request's media type, without parameters, lower-cased ("" when absent). */
function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}
