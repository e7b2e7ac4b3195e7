/** Public PKI documents: CA certificate, CRL, JWKS. @module */
import { Hono } from "hono";
import type { ServerContext } from "../../context.ts";
import { currentCrl } from "../../certs/pki_state.ts";
import { revokedCertificates } from "../../store/devices.ts";
import type { AppEnv } from "./env.ts";

/** Routes: `GET /pki/ca`, `GET /pki/crl`, `GET /.well-known/jwks.json`. */
export function pkiRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.get(
    "/pki/ca",
    (c) => c.body(ctx.pki.caPem, 200, { "content-type": "application/x-pem-file" }),
  );
  app.get("/pki/crl", async (c) => {
    const pem = await currentCrl(ctx.pki.ca, revokedCertificates(ctx.db));
    return c.body(pem, 200, {
      "content-type": "application/x-pem-file",
      "cache-control": "no-store",
    });
  });
  app.get(
    "/.well-known/jwks.json",
    (c) => c.json(ctx.ring.jwks, 200, { "cache-control": "max-age=60" }),
  );
  return app;
}
