/**
 * `GET /metrics`: the Prometheus text exposition, only with
 * `--metrics-token-file` and only for `Authorization: Bearer <that token>`
 * (RFC 6750 section 2.1; compared in constant time). Off by default: 404.
 * @module
 */
import { Hono } from "hono";
import type { ServerContext } from "../../context.ts";
import { constantTimeEqual } from "../../auth/tokens.ts";
import type { AppEnv } from "./env.ts";
import { problem } from "./errors.ts";

/** `GET /metrics`. */
export function metricsRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => {
    const token = ctx.metricsToken;
    if (!token) {
      return problem(
        c,
        404,
        "not_found",
        "metrics are off; start the server with --metrics-token-file",
      );
    }
    const m = /^Bearer ([^\s]+)$/.exec(c.req.header("authorization") ?? "");
    if (!m || !constantTimeEqual(m[1], token)) {
      ctx.audit.log("metrics.refused", {
        reason: m ? "wrong token" : "missing bearer token",
        ip: c.env.remoteAddr,
      });
      return problem(
        c,
        401,
        "unauthorized",
        "GET /metrics needs Authorization: Bearer <metrics token>",
        {
          "www-authenticate": 'Bearer realm="vigil-metrics"',
        },
      );
    }
    return c.body(await ctx.metrics.text(), 200, {
      "content-type": ctx.metrics.contentType,
      "cache-control": "no-store",
    });
  });
  return app;
}
