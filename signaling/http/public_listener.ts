/**
 * The public listener: HTTPS (HTTP/2) with `Deno.serve` for viewers,
 * enrollment and the viewer app. A new certificate is swapped in with a
 * brief re-listen on the same port.
 * @module
 */

/** What the public app needs of the connection. */
export type PublicFetch = (
  req: Request,
  env: { remoteAddr: string },
) => Response | Promise<Response>;

/** A listening public listener. */
export interface PublicListener {
  /** The port it listens on (the real one when asked for port 0). */
  port: number;
  /** Serves with another certificate (re-listens on the same port). */
  setCertificate(cert: string, key: string): Promise<void>;
  close(): Promise<void>;
}

function serve(fetch: PublicFetch, host: string, port: number, cert: string, key: string) {
  const ac = new AbortController();
  let listening!: (port: number) => void;
  const ready = new Promise<number>((r) => listening = r);
  const server = Deno.serve({
    hostname: host,
    port,
    cert,
    key,
    signal: ac.signal,
    onListen: ({ port }) => listening(port),
    onError: (err) => {
      console.error(`public: ${(err as Error).message}`);
      return new Response(JSON.stringify({ error: "internal", message: "internal error" }), {
        status: 500,
        headers: { "content-type": "application/json" },
      });
    },
  }, (req, info) => fetch(req, { remoteAddr: (info.remoteAddr as Deno.NetAddr).hostname }));
  return {
    ready,
    stop: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

/** Starts the public listener with a certificate chain and key (PEM). */
export async function startPublicListener(
  fetch: PublicFetch,
  o: { host: string; port: number; cert: string; key: string },
): Promise<PublicListener> {
  let current = serve(fetch, o.host, o.port, o.cert, o.key);
  const port = await current.ready;
  return {
    port,
    async setCertificate(cert, key) {
      await current.stop();
      current = serve(fetch, o.host, port, cert, key);
      await current.ready;
    },
    close: () => current.stop(),
  };
}
