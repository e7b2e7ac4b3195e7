/**
 * The public listener: HTTPS (HTTP/1.1 on `node:https`) for viewers,
 * enrollment and the viewer app. `node:https` rather than `Deno.serve`'s
 * HTTP/2: Deno's HTTP/2 server ended some refused requests in a stream error
 * instead of their status (curl), and a socket per connection is where the
 * connection, header and body-time limits are enforced
 * (`connection_guard.ts`). A new certificate is swapped in for new
 * connections; open ones keep theirs.
 * @module
 */
import { createAdaptorServer, type Http2Bindings, type HttpBindings } from "@hono/node-server";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type ConnectionLimits, guardConnections, MAX_HEADER_BYTES } from "./connection_guard.ts";

/** What the public app needs of the connection. */
export type PublicFetch = (
  req: Request,
  env: { remoteAddr: string },
) => Response | Promise<Response>;

/** A listening public listener. */
export interface PublicListener {
  /** The port it listens on (the real one when asked for port 0). */
  port: number;
  /** Serves new connections with another certificate. */
  setCertificate(cert: string, key: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts the public listener with a certificate chain and key (PEM). */
export async function startPublicListener(
  fetch: PublicFetch,
  o: {
    host: string;
    port: number;
    cert: string;
    key: string;
    limits: ConnectionLimits;
    onBreach: (reason: string, address: string) => void;
  },
): Promise<PublicListener> {
  const server = createAdaptorServer({
    fetch: (req: Request, env: HttpBindings | Http2Bindings) =>
      fetch(req, { remoteAddr: env.incoming.socket.remoteAddress ?? "" }),
    createServer: https.createServer,
    serverOptions: {
      cert: o.cert,
      key: o.key,
      minVersion: "TLSv1.2",
      maxHeaderSize: MAX_HEADER_BYTES,
    },
    overrideGlobalObjects: false,
  }) as unknown as https.Server;
  guardConnections(server, o.limits, o.onBreach);
  server.on("tlsClientError", (_err: Error, socket: { destroy(): void }) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const sockets = new Set<{ destroy(): void }>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate(cert, key) {
      server.setSecureContext({ cert, key });
      return Promise.resolve();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
