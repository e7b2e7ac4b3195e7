/**
 * Caps the receive buffer of werift's ICE sockets (werift 0.25.2 on Deno).
 *
 * Deno's `node:dgram` (ext/node udp_wrap) allocates a fresh
 * `new Uint8Array(recvBufferSize)` for every datagram it waits for, 64 KiB by
 * default, and hands werift a view onto it: every STUN check, DTLS record and
 * RTCP packet from a viewer costs a 64 KiB zero-filled allocation, and whatever
 * werift keeps of it keeps all 64 KiB alive. In Deno, `setRecvBufferSize(n)`
 * sets only that buffer (2n on Linux, as the kernel reports SO_RCVBUF; the
 * kernel's socket buffer stays as it is: receive_buffer_cap_test.ts checks both,
 * so a runtime that changes this fails the test instead of dropping bursts).
 *
 * {@linkcode MAX_DATAGRAM_BYTES} is far above what reaches the publisher: a
 * viewer's STUN, DTLS (WebRTC stacks fragment handshakes to the path MTU),
 * RTCP and TURN-framed datagrams all fit an Ethernet MTU. A larger datagram is
 * truncated and then fails to parse, a size limit enforced while reading.
 *
 * Measured (20,000 100-byte datagrams into one socket, the publisher's V8 and
 * malloc settings, loaded 2-core machine, two runs each): 0.33–0.39 instead of
 * 0.71–0.79 CPU-s, and 2–3 instead of 23–29 MiB of buffers awaiting GC. With 4
 * werift viewers (little RTCP) the publisher's RSS did not change measurably.
 *
 * @example
 * ```ts
 * installReceiveBufferCap(); // once, before the first peer connection
 * ```
 * @module
 */
import { UdpTransport } from "werift";

/** Largest datagram the publisher reads from a viewer (or a TURN server). */
export const MAX_DATAGRAM_BYTES = 4096;

/** The argument of `setRecvBufferSize` that makes Deno read into `bytes`-sized buffers. */
export function recvBufferSizeArg(bytes: number, os: string = Deno.build.os): number {
  return os === "linux" ? bytes / 2 : bytes;
}

interface DgramLike {
  setRecvBufferSize(size: number): void;
}

/**
 * Caps `socket`'s receive buffer at {@linkcode MAX_DATAGRAM_BYTES} (a bound
 * `node:dgram` socket); false if it cannot (then it keeps Deno's default).
 */
export function capReceiveBuffer(socket: unknown): boolean {
  const s = socket as Partial<DgramLike> | null;
  if (!s || typeof s.setRecvBufferSize !== "function") return false;
  try {
    s.setRecvBufferSize(recvBufferSizeArg(MAX_DATAGRAM_BYTES));
    return true;
  } catch {
    return false; // not bound yet, or closed
  }
}

const INSTALLED = Symbol.for("vigil.receiveBufferCap");

/**
 * Makes every werift UDP transport (ICE host sockets, TURN client sockets)
 * cap its receive buffer once bound (idempotent). False if werift changed shape.
 */
export function installReceiveBufferCap(): boolean {
  const proto = UdpTransport.prototype as unknown as Record<string | symbol, unknown>;
  if (proto[INSTALLED]) return true;
  const init = proto.init;
  if (typeof init !== "function") return false;
  proto.init = async function (this: { socket?: unknown }, ...args: unknown[]) {
    await init.apply(this, args);
    capReceiveBuffer(this.socket);
  };
  proto[INSTALLED] = true;
  return true;
}
