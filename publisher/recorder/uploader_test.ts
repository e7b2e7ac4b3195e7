import assert from "node:assert/strict";
import { pacedBody } from "./uploader.ts";

Deno.test("pacedBody: every byte once, in order, in bounded chunks (paced or not)", async () => {
  const data = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
  for (const kbps of [0, 100_000]) {
    const chunks = await Array.fromAsync(pacedBody(data, kbps));
    assert.ok(chunks.every((c) => c.length <= 16 * 1024));
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      joined.set(c, o);
      o += c.length;
    }
    assert.deepEqual(joined, data);
  }
});
