import assert from "node:assert/strict";
import dgram from "node:dgram";
import {
  capReceiveBuffer,
  installReceiveBufferCap,
  MAX_DATAGRAM_BYTES,
  recvBufferSizeArg,
} from "./receive_buffer_cap.ts";

async function boundSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return s;
}

/** Receives `count` datagrams on `rx` (or what came within 3 s). */
function collect(rx: dgram.Socket, count: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(got), 3000);
    rx.on("message", (m: Uint8Array) => {
      got.push(new Uint8Array(m));
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

Deno.test("recvBufferSizeArg: Linux doubles the value as it does SO_RCVBUF", () => {
  assert.deepEqual(recvBufferSizeArg(4096, "linux"), 2048);
  assert.deepEqual(recvBufferSizeArg(4096, "darwin"), 4096);
});

Deno.test("capReceiveBuffer: a datagram of the cap arrives whole, a larger one truncated", async () => {
  const rx = await boundSocket();
  const tx = await boundSocket();
  try {
    assert(capReceiveBuffer(rx));
    assert.deepEqual(rx.getRecvBufferSize(), MAX_DATAGRAM_BYTES);
    // The read pending when the cap was set has Deno's default buffer: one datagram first.
    const pending = collect(rx, 3);
    tx.send(new Uint8Array(1), rx.address().port, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 50));
    const whole = new Uint8Array(MAX_DATAGRAM_BYTES).fill(7);
    tx.send(whole, rx.address().port, "127.0.0.1");
    tx.send(new Uint8Array(MAX_DATAGRAM_BYTES + 100).fill(9), rx.address().port, "127.0.0.1");
    const [, a, b] = await pending;
    assert.deepEqual(a, whole);
    assert.deepEqual(b.length, MAX_DATAGRAM_BYTES);
  } finally {
    rx.close();
    tx.close();
  }
});

Deno.test("capReceiveBuffer: the kernel's socket buffer is not shrunk (a burst of 60 packets arrives)", async () => {
  // With SO_RCVBUF at 4 KiB only one or two 1200-byte datagrams would fit: a runtime that
  // starts passing setRecvBufferSize to the kernel fails here instead of dropping video RTCP.
  const rx = await boundSocket();
  const tx = await boundSocket();
  try {
    assert(capReceiveBuffer(rx));
    const pending = collect(rx, 60);
    const packet = new Uint8Array(1200);
    // Queued synchronously: all are in the kernel before the receiver reads one.
    for (let i = 0; i < 60; i++) tx.send(packet, rx.address().port, "127.0.0.1");
    assert.deepEqual((await pending).length, 60);
  } finally {
    rx.close();
    tx.close();
  }
});

Deno.test("capReceiveBuffer: false for what is not a bound socket", () => {
  assert.deepEqual(capReceiveBuffer(null), false);
  assert.deepEqual(capReceiveBuffer({}), false);
  assert.deepEqual(capReceiveBuffer(dgram.createSocket("udp4")), false); // unbound: EBADF
});

Deno.test("installReceiveBufferCap: werift's UDP transports read into capped buffers", async () => {
  assert(installReceiveBufferCap());
  assert(installReceiveBufferCap()); // idempotent
  const { UdpTransport } = await import("werift");
  const t = await UdpTransport.init("udp4", { interfaceAddresses: { udp4: "127.0.0.1" } });
  try {
    assert.deepEqual((t.socket as dgram.Socket).getRecvBufferSize(), MAX_DATAGRAM_BYTES);
  } finally {
    await t.close();
  }
});
