/**
 * WHEP (draft-ietf-wish-whep-03, with WHIP RFC 9725's shared rules) over
 * HTTP: the viewer initiates with a recvonly offer; POST answers 201 with the
 * publisher's answer, the session URL and the ICE session's ETag; PATCH
 * trickles candidates (204) or restarts ICE (200 with the publisher's new
 * credentials and a new ETag); DELETE ends the session. Everything about a
 * session (who may watch, limits, relaying, preconditions, its end) is
 * sessions/viewing.ts's; this file only speaks HTTP: CORS, methods, media
 * types, body limits enforced while reading, status codes and headers.
 *
 * Order of refusals: CORS and OPTIONS need no token (players send none on a
 * preflight, -03 section 4.8); 405 for a method the resource does not have
 * says nothing about any camera; then the token (401), the scope (403: a
 * viewer learns nothing about cameras outside it), existence (404).
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ServerContext } from "../../context.ts";
import type { WhepSession } from "../../sessions/table.ts";
import { parseIfMatch } from "../../sessions/ice_patch.ts";
import { SessionError } from "../../sessions/viewing.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./errors.ts";
import { requireViewer } from "./auth.ts";
import { whepCors } from "./whep_cors.ts";
import { iceServerLinks } from "../../turn/ice_servers.ts";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AccessClaims } from "../../auth/tokens.ts";
import { BusError } from "../../bus/bus.ts";
import { type SessionOpReply, type SessionOpRequest, topics } from "../../bus/topics.ts";

/** Largest accepted offer or sdpfrag. */
export const MAX_SDP_BYTES = 16 * 1024;

const SDP = "application/sdp";
const SDPFRAG = "application/trickle-ice-sdpfrag";

/** The two WHEP resources and the methods each has (the `Allow` of its 405 and OPTIONS). */
const RESOURCES = [
  // -03 section 4.1: GET on endpoints and sessions is a 2xx without content.
  { kind: "endpoint", path: /^\/whep\/[^/]+$/, allow: ["GET", "HEAD", "POST", "OPTIONS"] },
  // vigil's own: the ICE servers a viewer needs before its offer (PROTOCOL.md).
  { kind: "ice-servers", path: /^\/whep\/[^/]+\/ice-servers$/, allow: ["GET", "HEAD", "OPTIONS"] },
  {
    kind: "session",
    path: /^\/whep\/[^/]+\/sessions\/[^/]+$/,
    allow: ["GET", "HEAD", "PATCH", "DELETE", "OPTIONS"],
  },
] as const;

function resourceOf(path: string) {
  return RESOURCES.find((r) => r.path.test(path));
}

/** What an OPTIONS answer says about a resource (-03 section 4.3: Accept-Post on the endpoint). */
function optionsHeaders(c: Context): Record<string, string> {
  const r = resourceOf(c.req.path);
  if (!r) return {};
  return {
    allow: r.allow.join(", "),
    ...(r.kind === "endpoint"
      ? { "accept-post": SDP }
      : r.kind === "session"
      ? { "accept-patch": SDPFRAG }
      : {}),
  };
}

/**
 * The headers of a 201: the session URL, the ICE session's ETag and what a
 * PATCH takes (RFC 9725 section 4.3.1: the initial ETag MUST be on the 201).
 */
function createdHeaders(camera: string, session: WhepSession): Record<string, string> {
  return {
    "content-type": SDP,
    location: `/whep/${camera}/sessions/${session.id}`,
    etag: session.etag,
    "accept-patch": SDPFRAG,
    "cache-control": "no-store",
  };
}

/**
 * One `Link: <url>; rel="ice-server"` per ICE server URL (RFC 9725 section
 * 4.6), TURN ones with this call's own credential.
 */
async function addIceServerLinks(ctx: ServerContext, c: Context<AppEnv>) {
  const s = await ctx.ice.forSession();
  for (const link of iceServerLinks(s.iceServers)) c.header("link", link, { append: true });
  return s;
}

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

/** WHEP routes on `/whep/:camera` and `/whep/:camera/sessions/:sid`. */
export function whepRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use("/whep/*", whepCors(ctx.config.corsOrigins, optionsHeaders));

  // Before the token: the shape of the URL and the method are all they look at.
  app.use("/whep/*", async (c, next) => {
    const r = resourceOf(c.req.path);
    if (!r) return problem(c, 404, "not_found", "not a WHEP endpoint or session URL");
    if (!(r.allow as readonly string[]).includes(c.req.method)) {
      return problem(
        c,
        405,
        "method_not_allowed",
        `a WHEP ${r.kind} takes ${r.allow.join(", ")}`,
        { allow: r.allow.join(", ") },
      );
    }
    await next();
  });
  // CORS preflights and discovery carry no token (-03 section 4.8).
  app.on("OPTIONS", ["/whep/:camera", "/whep/:camera/sessions/:sid"], (c) => {
    return c.body(null, 204, optionsHeaders(c));
  });

  app.use("/whep/*", requireViewer(ctx));

  app.get("/whep/:camera", async (c) => {
    try {
      await ctx.viewing.checkAccess(c.get("viewer"), c.req.param("camera"), c.env.remoteAddr);
      return c.body(null, 204, { "cache-control": "no-store" });
    } catch (err) {
      return refusal(c, err);
    }
  });

  app.post("/whep/:camera", async (c) => {
    const started = performance.now();
    const res = await offer(c);
    // vigil_whep_setup_seconds / vigil_whep_setups_total{result}: "ok" or the error code (from code, bounded).
    const result = res.status === 201
      ? "ok"
      : String((await res.clone().json().catch(() => ({}))).error ?? res.status);
    ctx.metrics.whepSetup(result, (performance.now() - started) / 1000);
    return res;
  });
  const offer = async (c: Context<AppEnv>): Promise<Response> => {
    const viewer = c.get("viewer");
    const camera = c.req.param("camera")!;
    try {
      // Scope first: a viewer learns nothing about cameras outside it.
      await ctx.viewing.checkAccess(viewer, camera, c.env.remoteAddr);
      if (mediaType(c) !== SDP) {
        return problem(c, 415, "unsupported_media_type", `a WHEP offer is Content-Type: ${SDP}`);
      }
      const sdp = await readLimited(c, MAX_SDP_BYTES);
      if (sdp === null) {
        return problem(c, 413, "too_large", `the offer exceeds ${MAX_SDP_BYTES} bytes`);
      }
      const { session, answer } = await ctx.viewing.open(viewer, camera, sdp, c.env.remoteAddr);
      hold(session.id);
      await addIceServerLinks(ctx, c);
      return c.body(answer, 201, createdHeaders(camera, session));
    } catch (err) {
      return refusal(c, err);
    }
  };

  // The viewer's ICE servers before its offer: JSON for RTCPeerConnection and
  // the same Link headers as the 201. Each call mints a new credential.
  app.get("/whep/:camera/ice-servers", async (c) => {
    try {
      await ctx.viewing.checkAccess(c.get("viewer"), c.req.param("camera"), c.env.remoteAddr);
      const s = await addIceServerLinks(ctx, c);
      c.header("cache-control", "no-store");
      return c.json({ iceServers: s.iceServers, expiresAt: s.expiresAt?.toISOString() ?? null });
    } catch (err) {
      return refusal(c, err);
    }
  });

  // Session URLs: answered here when this node holds the session; in a cluster a
  // request that reached another node is relayed over the bus to the holder.
  const clustered = ctx.config.bus !== null;
  const held = new Map<string, () => void>();
  if (clustered) {
    ctx.viewing.onSessionEnded((id) => {
      held.get(id)?.();
      held.delete(id);
    });
  }
  const hold = (sessionId: string) => {
    if (!clustered) return;
    const off = ctx.bus.respond(
      topics.sessionOp(sessionId),
      (req) => sessionOp(ctx, sessionId, req),
    );
    if (ctx.viewing.get(sessionId)) held.set(sessionId, off);
    else off(); // ended meanwhile
  };
  const answer = async (c: Context<AppEnv>, req: SessionOpRequest): Promise<Response> => {
    const sid = c.req.param("sid")!;
    let r: SessionOpReply;
    if (!clustered || ctx.viewing.get(sid) || !/^[0-9a-f-]{36}$/.test(sid)) {
      r = await sessionOp(ctx, sid, req);
    } else {
      try {
        r = await ctx.bus.request(topics.sessionOp(sid), req, ctx.config.answerTimeoutMs);
      } catch (err) {
        if (!(err instanceof BusError)) throw err;
        r = await sessionOp(ctx, sid, req); // nobody holds it: the local 404
      }
    }
    const status = r.status as ContentfulStatusCode;
    return r.body === null ? c.body(null, status, r.headers) : c.body(r.body, status, r.headers);
  };

  app.get(
    "/whep/:camera/sessions/:sid",
    (c) => answer(c, { op: "get", camera: c.req.param("camera")!, viewer: c.get("viewer").sub }),
  );

  app.patch("/whep/:camera/sessions/:sid", async (c) => {
    // The order of checks (PROTOCOL.md): the session first, then the body.
    const sid = c.req.param("sid")!;
    if (!clustered || ctx.viewing.get(sid)) {
      try {
        ctx.viewing.find(c.get("viewer"), c.req.param("camera")!, sid);
      } catch (err) {
        return refusal(c, err);
      }
    }
    if (mediaType(c) !== SDPFRAG) {
      return problem(c, 415, "unsupported_media_type", `a WHEP PATCH is ${SDPFRAG}`, {
        "accept-patch": SDPFRAG,
      });
    }
    const frag = await readLimited(c, MAX_SDP_BYTES);
    if (frag === null) return problem(c, 413, "too_large", "the sdpfrag is too large");
    return answer(c, {
      op: "patch",
      camera: c.req.param("camera")!,
      viewer: c.get("viewer").sub,
      sdpfrag: frag,
      ifMatch: c.req.header("if-match") ?? "",
    });
  });

  // An ended session's URL is unknown like any other: 404 (PROTOCOL.md). If-Match is ignored.
  app.delete(
    "/whep/:camera/sessions/:sid",
    (c) => answer(c, { op: "delete", camera: c.req.param("camera")!, viewer: c.get("viewer").sub }),
  );
  return app;
}

/** The request's media type, without parameters, lower-cased ("" when absent). */
function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

/** A refusal as the JSON problem an HTTP answer carries. */
function refusalReply(err: unknown): SessionOpReply {
  if (!(err instanceof SessionError)) throw err;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (err.retryAfterS !== undefined) headers["retry-after"] = String(err.retryAfterS);
  return {
    status: err.status,
    headers,
    body: JSON.stringify({ error: err.code, message: err.message }),
  };
}

/**
 * GET, PATCH or DELETE on a session this node holds, as an HTTP answer
 * (the same for a request that came in here and one relayed from another
 * node). The session must be the viewer's own and the camera's (404).
 */
async function sessionOp(
  ctx: ServerContext,
  sessionId: string,
  req: SessionOpRequest,
): Promise<SessionOpReply> {
  try {
    const session = ctx.viewing.find({ sub: req.viewer } as AccessClaims, req.camera, sessionId);
    if (req.op === "get") {
      return { status: 204, headers: { "cache-control": "no-store" }, body: null };
    }
    if (req.op === "delete") {
      ctx.viewing.leave(session);
      return { status: 200, headers: {}, body: null };
    }
    const ifMatch = parseIfMatch(req.ifMatch || undefined);
    if (!ifMatch) {
      return refusalReply(
        new SessionError(400, "bad_if_match", 'If-Match is "*" or a list of entity-tags'),
      );
    }
    const r = await ctx.viewing.patch(session, req.sdpfrag ?? "", ifMatch);
    // No ETag on a trickle (-03 section 4.4.2).
    if (r.kind === "trickled") return { status: 204, headers: {}, body: null };
    return {
      status: 200,
      headers: { "content-type": SDPFRAG, etag: r.etag, "cache-control": "no-store" },
      body: r.sdpfrag,
    };
  } catch (err) {
    return refusalReply(err);
  }
}
