/**
 * CORS for WHEP players served from other origins (draft-ietf-wish-whep-03
 * section 4.3: WHEP endpoints MUST support OPTIONS for CORS), with Hono's
 * own `cors` middleware, for the origins of `--cors-origin` only. A request
 * from any other origin gets no CORS header at all, so browsers keep its
 * responses from the page (and never send the POST its preflight asked for).
 * Allowed origins are echoed (never `*`); no cookies are involved (players
 * authenticate with a Bearer header), so no `Allow-Credentials`.
 *
 * @example
 * ```ts
 * app.use("/whep/*", whepCors(["https://player.example.com"], () => ({})));
 * ```
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** What a cross-origin WHEP player may send and read. */
export const WHEP_CORS = {
  allowMethods: ["POST", "PATCH", "DELETE", "OPTIONS"],
  /** Players send these (Bearer: -03 section 4.8; If-Match: 4.4.1; the body's media type). */
  allowHeaders: ["authorization", "content-type", "if-match"],
  /** Headers a player reads from 201, 200 and refusals (Location, ETag, Link ice-server, …). */
  exposeHeaders: ["location", "etag", "link", "accept-patch", "retry-after"],
  /** Seconds a browser may cache a preflight. */
  maxAgeS: 600,
} as const;

/**
 * The CORS middleware for `origins`. `preflightHeaders(c)` adds what an
 * OPTIONS answer says about the resource (Allow, Accept-Post, Accept-Patch)
 * to the preflights Hono answers itself.
 */
export function whepCors(
  origins: readonly string[],
  preflightHeaders: (c: Context) => Record<string, string>,
): MiddlewareHandler {
  const allowed = new Set(origins);
  const handler = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: [...WHEP_CORS.allowMethods],
    allowHeaders: [...WHEP_CORS.allowHeaders],
    exposeHeaders: [...WHEP_CORS.exposeHeaders],
    maxAge: WHEP_CORS.maxAgeS,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === undefined || !allowed.has(origin)) {
      await next();
      // The answer depends on Origin once any origin is allowed (caches must keep them apart).
      if (allowed.size > 0) c.header("vary", "Origin", { append: true });
      return;
    }
    const preflight = await handler(c, next);
    // A fetch from an allowed origin is a cross-origin read the operator wants.
    if (preflight instanceof Response) {
      for (const [k, v] of Object.entries(preflightHeaders(c))) preflight.headers.set(k, v);
      preflight.headers.set("cross-origin-resource-policy", "cross-origin");
      return preflight;
    }
    c.res.headers.set("cross-origin-resource-policy", "cross-origin");
  };
}
