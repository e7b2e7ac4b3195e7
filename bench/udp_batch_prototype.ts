/**
 * `deno task bench:udp-batch` — a measured prototype of the next lever for
 * the publisher's per-packet cost: one `sendmmsg(2)` per picture instead of
 * one Deno send op per packet. Deno 2.9 has no batched datagram API, so the
 * prototype calls libc through FFI on the socket's file descriptor. It is NOT
 * used by the publisher: `--allow-ffi` is equivalent to running arbitrary
 * native code and would undo the publisher's least-privilege flags. It shows
 * what a batched send op in Deno (or a native helper) would save.
 *
 * Both variants write 8 datagrams of 1,228 bytes (a picture's worth at
 * 720p30 2 Mbit/s) to a receiver in a separate process on loopback and are
 * measured in CPU time of this process (`process.cpuUsage`), async
 * completions included. Linux x86-64 / arm64 (struct layouts of glibc).
 *
 * @module
 */
import { createSocket } from "node:dgram";
import process from "node:process";
import { setImmediate } from "node:timers";
import { udpHandleOf } from "../publisher/peer/udp_handle_writer.ts";

const PACKETS = 8, SIZE = 1228, ROUNDS = 4000;
const AF_INET = 2;

const sink = new Deno.Command(Deno.execPath(), {
  args: [
    "eval",
    `import { createSocket } from "node:dgram";
     const s = createSocket("udp4");
     s.on("message", () => {});
     s.bind({ port: 0, address: "127.0.0.1" }, () => console.log(s.address().port));`,
  ],
  stdout: "piped",
}).spawn();
const reader = sink.stdout.getReader();
const port = Number(new TextDecoder().decode((await reader.read()).value).trim());

const socket = createSocket("udp4");
await new Promise<void>((r) => socket.bind({ port: 0, address: "127.0.0.1" }, () => r()));
const handle = udpHandleOf(socket) as unknown as {
  send(...a: unknown[]): number;
  fdForIpc(): number;
};
const fd = handle.fdForIpc();
const libc = Deno.dlopen("libc.so.6", {
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
});

const packets = Array.from({ length: PACKETS }, () => new Uint8Array(SIZE));
const address = new Uint8Array(16); // struct sockaddr_in
const view = new DataView(address.buffer);
view.setUint16(0, AF_INET, true);
view.setUint16(2, port);
address.set([127, 0, 0, 1], 4);
const ptr = (b: ArrayBufferView) => BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
const iov = new BigUint64Array(PACKETS * 2); // struct iovec { base, len }
packets.forEach((p, i) => {
  iov[i * 2] = ptr(p);
  iov[i * 2 + 1] = BigInt(SIZE);
});
// struct mmsghdr: msghdr (name, namelen, iov, iovlen, control, controllen, flags) + msg_len = 64 bytes.
const msgs = new BigUint64Array(PACKETS * 8);
for (let i = 0; i < PACKETS; i++) {
  msgs.set([ptr(address), 16n, ptr(iov) + BigInt(i * 16), 1n, 0n, 0n, 0n, 0n], i * 8);
}

const req = { oncomplete() {} };
async function cpuPerPacket(send: () => void): Promise<number> {
  for (let i = 0; i < 200; i++) send();
  await new Promise((r) => setImmediate(r));
  const c0 = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) {
    send();
    if (i % 2 === 1) await new Promise((r) => setImmediate(r)); // let the send ops complete
  }
  await new Promise((r) => setTimeout(r, 30));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / (ROUNDS * PACKETS);
}

const results: Record<string, number[]> = { "UDP handle, one op per packet": [], "sendmmsg": [] };
for (let k = 0; k < 3; k++) {
  results["UDP handle, one op per packet"].push(
    await cpuPerPacket(() => {
      for (const p of packets) handle.send(req, [p], 1, port, "127.0.0.1", false);
    }),
  );
  results["sendmmsg"].push(
    await cpuPerPacket(() => {
      const sent = libc.symbols.sendmmsg(fd, msgs, PACKETS, 0);
      if (sent !== PACKETS) throw new Error(`sendmmsg sent ${sent} of ${PACKETS}`);
    }),
  );
}
for (const [name, xs] of Object.entries(results)) {
  const best = Math.min(...xs);
  console.log(`${name.padEnd(32)} ${best.toFixed(2)} µs CPU per packet (best of ${xs.length})`);
}
socket.close();
libc.close();
sink.kill();
await sink.status;
Deno.exit(0);
