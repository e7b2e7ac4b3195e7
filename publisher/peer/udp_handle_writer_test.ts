import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { udpHandleOf, udpHandleWriter } from "./udp_handle_writer.ts";

async function bound(): Promise<Socket> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind({ port: 0, address: "127.0.0.1" }, () => r()));
  return s;
}

Deno.test({
  name: "udpHandleWriter: datagrams arrive as written even when the buffer is reused at once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const rx = await bound();
    const tx = await bound();
    const got: number[][] = [];
    const all = new Promise<void>((resolve) =>
      rx.on("message", (m: Uint8Array) => {
        got.push([...m]);
        if (got.length === 4) resolve();
      })
    );
    try {
      await t.step("this Deno exposes the socket's UDP handle (the fast path)", () => {
        assert.ok(udpHandleOf(tx), "dgram socket handle not found: the writer would fall back");
      });
      await t.step("three writes from one buffer", async () => {
        const write = udpHandleWriter(tx, "127.0.0.1", rx.address().port);
        assert.ok(write);
        const buf = new Uint8Array(4);
        // Deno polls a send that could not complete at once (the socket's first use
        // registers it with the event loop) after later ones: warm the socket up so
        // the burst below completes in order, as werift's sockets are by the time media flows.
        write(buf);
        await new Promise((r) => setTimeout(r, 50));
        for (let i = 1; i <= 3; i++) {
          buf.fill(i);
          write(buf);
        }
        buf.fill(9); // would show up if the handle kept a reference instead of a copy
        await all;
        assert.deepEqual(got, [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
      });
      await t.step("not a socket: null", () => {
        assert.equal(udpHandleWriter({}, "127.0.0.1", 1), null);
        assert.equal(udpHandleOf(null), null);
      });
    } finally {
      rx.close();
      tx.close();
    }
  },
});
