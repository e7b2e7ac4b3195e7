/**
 * A request body limit enforced while reading: a `Content-Length` above it is
 * refused before any byte is read; a body without one (chunked) is counted as
 * it streams and refused at the first chunk past the limit, so at most
 * `maxBytes` are ever held. (hono's own `bodyLimit` rebuilds the request from
 * `@hono/node-server`'s lightweight request object, which Deno's `Request`
 * constructor refuses.) What is left unread after a refusal is discarded by
 * `connection_guard.ts`.
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";

/** The middleware: `refuse` answers a body over `maxBytes` (413). */
export function limitBody(
  maxBytes: number,
  refuse: (c: Context) => Response,
): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return await next();
    const length = raw.headers.get("content-length");
    if (length !== null && !raw.headers.has("transfer-encoding")) {
      if (!/^\d{1,15}$/.test(length) || Number(length) > maxBytes) return refuse(c);
      return await next();
    }
    const reader = raw.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        return refuse(c);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const ch of chunks) body.set(ch, at), at += ch.length;
    c.req.raw = new Request(raw.url, {
      method: raw.method,
      headers: new Headers(raw.headers),
      body,
    });
    await next();
  };
}
