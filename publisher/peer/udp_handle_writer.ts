/**
 * Writes datagrams to a `node:dgram` socket that werift owns (its ICE pair's
 * socket: the viewer accepts media only from the address its ICE check
 * succeeded with), as cheaply as Deno 2.9 allows.
 *
 * `socket.send(buf, port, host)` first resolves the host (deferred to a later
 * tick even for an IP literal) and only then copies `buf`, so a reused buffer
 * would be overwritten before it is sent, and each call costs a lookup. The
 * socket's UDP handle (Node's internal binding, which Deno implements in
 * `udp_wrap`) copies the bytes during the call and starts the send op at once:
 * ~1 µs less per packet (`deno task bench:srtp`, group "udp send"). The handle is
 * not public API: when it is not found (another Deno), the writer falls back to
 * `socket.send` with a copy of the bytes, which is correct, just slower.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:dgram";

/** Node's internal UDP handle as Deno's udp_wrap implements it. */
interface UdpHandle {
  send(
    req: { oncomplete(): void },
    buffers: Uint8Array[],
    count: number,
    port: number,
    address: string,
    hasCallback: boolean,
  ): number;
  send6(
    req: { oncomplete(): void },
    buffers: Uint8Array[],
    count: number,
    port: number,
    address: string,
    hasCallback: boolean,
  ): number;
}

const sendRequest = { oncomplete() {} };

/** The socket's UDP handle, or null when this runtime keeps it elsewhere. */
export function udpHandleOf(socket: unknown): UdpHandle | null {
  if (!socket || typeof socket !== "object") return null;
  const state = Object.getOwnPropertySymbols(socket)
    .filter((s) => s.description === "kStateSymbol")
    .map((s) => (socket as Record<symbol, { handle?: unknown }>)[s])[0];
  const handle = state?.handle as Partial<UdpHandle> | undefined;
  return handle && typeof handle.send === "function" && typeof handle.send6 === "function"
    ? handle as UdpHandle
    : null;
}

/**
 * A function sending one datagram to `host:port` through `socket` that is
 * done with the bytes when it returns; null if `socket` is not a dgram socket.
 *
 * @example
 * ```ts
 * const write = udpHandleWriter(pair.protocol.transport.socket, "192.0.2.7", 50000);
 * write?.(packet); // packet may be reused right away
 * ```
 */
export function udpHandleWriter(
  socket: unknown,
  host: string,
  port: number,
): ((bytes: Uint8Array) => void) | null {
  const handle = udpHandleOf(socket);
  if (handle) {
    const v6 = (socket as { type?: string }).type === "udp6";
    return v6
      ? (bytes) => void handle.send6(sendRequest, [bytes], 1, port, host, false)
      : (bytes) => void handle.send(sendRequest, [bytes], 1, port, host, false);
  }
  const s = socket as Partial<Socket> | null;
  if (!s || typeof s.send !== "function") return null;
  return (bytes) => {
    s.send!(Buffer.from(bytes), port, host);
  };
}
