/**
 * A tiny node behind HAProxy in the balancer's tests, run as its own process
 * so that a test can SIGKILL it: a line `who` is answered with the node's
 * name (the connection stays open for more), an HTTP `GET` (the health check)
 * with the given status. Plain TCP, or TLS with the given certificate.
 *
 * Usage: `deno run --allow-net=127.0.0.1:PORT [--allow-read=DIR] _tiny_backend.ts NAME PORT STATUS [CERT KEY]`
 * @module
 */
const [name, portArg, statusArg, certFile, keyFile] = Deno.args;
const port = Number(portArg);
const status = Number(statusArg);
const listener = certFile
  ? Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: Deno.readTextFileSync(certFile),
    key: Deno.readTextFileSync(keyFile),
  })
  : Deno.listen({ hostname: "127.0.0.1", port });

async function serve(conn: Deno.Conn) {
  const enc = new TextEncoder();
  let buffered = "";
  try {
    for await (const chunk of conn.readable.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      if (buffered.length > 8192) break;
      if (buffered.startsWith("GET ")) {
        if (!buffered.includes("\r\n\r\n")) continue;
        const body = `${name} ${status}\n`;
        await conn.write(enc.encode(
          `HTTP/1.1 ${status} X\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        ));
        break;
      }
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line === "who") await conn.write(enc.encode(`${name}\n`));
      }
    }
  } catch {
    // the peer went away
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

console.log(`listening ${name}`);
for await (const conn of listener) serve(conn);
