/**
 * Routes of the mTLS device listener: a device token bound to the presented
 * certificate, certificate renewal, and the device channel WebSocket (mTLS
 * and a cnf-checked device token before the upgrade).
 * @module
 */
import { Hono } from "hono";
import type { HttpBindings } from "@hono/node-server";
import type { UpgradeWebSocket } from "hono/ws";
import type { TLSSocket } from "node:tls";
import { z } from "zod";
import type { ServerContext } from "../../context.ts";
import type { DeviceHub } from "../../devices/hub.ts";
import { type DeviceIdentity, identify } from "../../devices/identity.ts";
import { signDeviceToken, TokenError, verifyDeviceToken } from "../../auth/tokens.ts";
import { EnrollError, renewDevice } from "../../devices/enrollment.ts";
import { problem, readJson } from "./errors.ts";
import { deviceRecordingRoutes } from "./device_recordings.ts";

type DeviceEnv = { Bindings: HttpBindings; Variables: { device: DeviceIdentity } };

const RenewBody = z.object({ csr: z.string().min(100).max(16 * 1024) }).strict();

/** The device listener's Hono app. */
export function deviceRoutes(
  ctx: ServerContext,
  hub: DeviceHub,
  upgradeWebSocket: UpgradeWebSocket,
) {
  const app = new Hono<DeviceEnv>();

  // Every request: a valid, unrevoked device certificate on this connection.
  app.use("*", async (c, next) => {
    const socket = c.env.incoming.socket as TLSSocket;
    const id = identify(socket);
    const ip = socket.remoteAddress;
    if (typeof id === "string") {
      ctx.audit.log("mtls.refused", { reason: id, ip, route: c.req.path });
      return problem(c, 401, "client_certificate", `client certificate refused: ${id}`);
    }
    if (ctx.revocations.isRevoked(id.serial) || !(await ctx.store.devices.isActive(id.deviceId))) {
      ctx.audit.log("mtls.refused", {
        reason: "revoked",
        device: id.deviceId,
        serial: id.serial,
        ip,
      });
      socket.destroy();
      return problem(c, 401, "revoked", "this certificate was revoked");
    }
    c.set("device", id);
    await next();
  });

  app.route("/", deviceRecordingRoutes(ctx));

  app.post("/device/token", async (c) => {
    const d = c.get("device");
    const token = await signDeviceToken(ctx.ring, {
      issuer: ctx.issuer,
      sub: d.deviceId,
      x5t: d.x5tS256,
      ttlMs: ctx.config.deviceTokenTtlMs,
    });
    ctx.audit.log("device.token", { device: d.deviceId, serial: d.serial });
    return c.json(
      { token, tokenType: "Bearer", expiresIn: Math.floor(ctx.config.deviceTokenTtlMs / 1000) },
      200,
      {
        "cache-control": "no-store",
      },
    );
  });

  app.post("/device/renew", async (c) => {
    const d = c.get("device");
    const body = await readJson(c, RenewBody);
    if (!body.ok) return body.response;
    try {
      const cert = await renewDevice(ctx, d.deviceId, body.data.csr);
      ctx.audit.log("device.renewed", {
        device: d.deviceId,
        oldSerial: d.serial,
        serial: cert.serial,
      });
      return c.json({
        certificate: cert.certPem,
        caCertificate: ctx.pki.caPem,
        notAfter: cert.notAfter.toISOString(),
      });
    } catch (err) {
      if (!(err instanceof EnrollError)) throw err;
      ctx.audit.log("device.renew_refused", { device: d.deviceId, reason: err.code });
      return problem(c, err.status, err.code, err.message);
    }
  });

  app.get(
    "/device/ws",
    async (c, next) => {
      const d = c.get("device");
      const m = /^Bearer ([^\s]+)$/.exec(c.req.header("authorization") ?? "");
      if (!m) {
        ctx.audit.log("token.refused", {
          route: "/device/ws",
          device: d.deviceId,
          reason: "missing bearer token",
        });
        return problem(c, 401, "unauthorized", "missing Authorization: Bearer device token");
      }
      try {
        const claims = await verifyDeviceToken(ctx.ring, m[1], ctx.issuer, d.x5tS256);
        if (claims.sub !== d.deviceId) {
          throw new TokenError("subject does not match the certificate");
        }
      } catch (err) {
        const reason = err instanceof TokenError ? err.reason : "rejected";
        ctx.audit.log("token.refused", { route: "/device/ws", device: d.deviceId, reason });
        return problem(c, 401, "invalid_token", `the device token was refused (${reason})`);
      }
      await next();
    },
    upgradeWebSocket((c) => {
      const d = c.get("device") as DeviceIdentity;
      const address = (c.env.incoming.socket as TLSSocket).remoteAddress ?? "";
      let handlers: ReturnType<DeviceHub["attach"]> | null = null;
      return {
        onOpen(_evt, ws) {
          handlers = hub.attach(
            d.deviceId,
            d.serial,
            {
              send: (text) => ws.send(text),
              close: (code, reason) => ws.close(code, reason),
            },
            d.notAfter.getTime(),
            address,
          );
        },
        onMessage(evt) {
          const data = evt.data;
          handlers?.onMessage(typeof data === "string" ? data : "<binary>");
        },
        onClose() {
          handlers?.onClose();
        },
      };
    }),
  );
  return app;
}
