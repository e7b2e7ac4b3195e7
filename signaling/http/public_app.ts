/**
 * The public listener's app: security headers, body limits, the API routes
 * and the viewer's static files.
 * @module
 */
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { join, normalize } from "node:path";
import type { ServerContext } from "../context.ts";
import { limitBody } from "./body_limit.ts";
import { adminRoutes } from "./routes/admin.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { authRoutes } from "./routes/auth.ts";
import { passkeyRoutes } from "./routes/passkeys.ts";
import { passwordRoutes } from "./routes/password.ts";
import { cameraRoutes } from "./routes/cameras.ts";
import { enrollRoutes } from "./routes/enroll.ts";
import type { AppEnv } from "./routes/env.ts";
import { problem } from "./routes/errors.ts";
import { pkiRoutes } from "./routes/pki.ts";
import { whepRoutes } from "./routes/whep.ts";
import { recordingRoutes } from "./routes/recordings.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** The largest request body of the public routes (SDP offers, JSON). */
export const MAX_PUBLIC_BODY = 64 * 1024;

/** Builds the public app. */
export function publicApp(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use(
    "*",
    secureHeaders({
      strictTransportSecurity: "max-age=31536000; includeSubDomains",
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:", "blob:"],
        connectSrc: ["'self'"],
        mediaSrc: ["'self'", "blob:"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: "no-referrer",
      xFrameOptions: "DENY",
      xContentTypeOptions: "nosniff",
      crossOriginOpenerPolicy: "same-origin",
      // Set below unless a route chose otherwise (WHEP answers to allowed CORS origins).
      crossOriginResourcePolicy: false,
      permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
    }),
  );
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("cross-origin-resource-policy")) {
      c.res.headers.set("cross-origin-resource-policy", "same-origin");
    }
  });
  app.use(
    "*",
    limitBody(
      MAX_PUBLIC_BODY,
      (c) => problem(c, 413, "too_large", `the request body exceeds ${MAX_PUBLIC_BODY} bytes`),
    ),
  );
  // Liveness and readiness for load balancers and supervisors (cluster/readiness.ts).
  app.get("/healthz", (c) => c.body(null, 204, { "cache-control": "no-store" }));
  app.get("/readyz", async (c) => {
    const r = await ctx.readiness.check();
    c.header("cache-control", "no-store");
    return c.json(r, r.ready ? 200 : 503);
  });
  app.route("/", pkiRoutes(ctx));
  app.route("/", enrollRoutes(ctx));
  app.route("/", authRoutes(ctx));
  app.route("/", passkeyRoutes(ctx));
  app.route("/", passwordRoutes(ctx));
  app.route("/", recordingRoutes(ctx));
  app.route("/", adminRoutes(ctx));
  app.route("/", metricsRoutes(ctx));
  app.route("/", cameraRoutes(ctx));
  app.route("/", whepRoutes(ctx));

  app.get("*", async (c) => {
    let path = c.req.path === "/" ? "/index.html" : c.req.path;
    if (!path.startsWith("/assets/") && path !== "/index.html" && !path.includes(".")) {
      path = "/index.html";
    }
    const file = normalize(join(ctx.config.webDir, path));
    if (!file.startsWith(normalize(ctx.config.webDir))) {
      return problem(c, 404, "not_found", "not found");
    }
    try {
      const body = await Deno.readFile(file);
      const ext = file.slice(file.lastIndexOf("."));
      return c.body(body, 200, {
        "content-type": TYPES[ext] ?? "application/octet-stream",
        "cache-control": path.startsWith("/assets/")
          ? "public, max-age=31536000, immutable"
          : "no-cache",
      });
    } catch {
      if (path === "/index.html") {
        return c.text("The viewer is not built yet: run `deno task build:web`.", 503);
      }
      return problem(c, 404, "not_found", "not found");
    }
  });
  app.notFound((c) => problem(c, 404, "not_found", "not found"));
  app.onError((err, c) => {
    console.error(`public: ${c.req.method} ${c.req.path}: ${err.message}`);
    return problem(c, 500, "internal", "internal error");
  });
  return app;
}
