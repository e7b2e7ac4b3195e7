/** `POST /enroll`: a one-time token and a CSR in, a device certificate out. @module */
import { Hono } from "hono";
import { z } from "zod";
import type { ServerContext } from "../../context.ts";
import { enrollDevice, EnrollError } from "../../devices/enrollment.ts";
import type { AppEnv } from "./env.ts";
import { problem, readJson } from "./errors.ts";

const EnrollBody = z.object({
  token: z.string().min(8).max(200),
  csr: z.string().min(100).max(16 * 1024),
}).strict();

/** The enrollment route (public listener). */
export function enrollRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.post("/enroll", async (c) => {
    const ip = c.env.remoteAddr;
    const wait = ctx.throttles.enrollAddress.retryAfterMs(ip);
    if (wait > 0) {
      ctx.audit.log("enroll.throttled", { ip });
      return problem(c, 429, "throttled", "too many failed enrollments; try again later", {
        "retry-after": String(Math.ceil(wait / 1000)),
      });
    }
    const body = await readJson(c, EnrollBody);
    if (!body.ok) return body.response;
    try {
      const { deviceId, cert } = await enrollDevice(ctx, body.data.token, body.data.csr);
      ctx.throttles.enrollAddress.succeed(ip);
      ctx.audit.log("enroll.success", { device: deviceId, serial: cert.serial, ip });
      return c.json({
        deviceId,
        certificate: cert.certPem,
        caCertificate: ctx.pki.caPem,
        devicePort: ctx.config.advertisedDevicePort ?? ctx.config.devicePort,
        notAfter: cert.notAfter.toISOString(),
      }, 201);
    } catch (err) {
      if (!(err instanceof EnrollError)) throw err;
      if (err.status === 401) ctx.throttles.enrollAddress.fail(ip);
      ctx.audit.log("enroll.failure", { ip, reason: err.code });
      return problem(c, err.status, err.code, err.message);
    }
  });
  return app;
}
