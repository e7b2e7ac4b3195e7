import assert from "node:assert/strict";
import { readCapped } from "./read_capped.ts";

function stream(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
    cancel: onCancel,
  });
}

Deno.test("readCapped: joins the chunks up to the limit", async () => {
  const out = await readCapped(stream([new Uint8Array([1, 2]), new Uint8Array([3])]), 3);
  assert.deepEqual(out, new Uint8Array([1, 2, 3]));
  assert.deepEqual(await readCapped(null, 3), new Uint8Array(0));
});

Deno.test("readCapped: past the limit it cancels the stream and stops reading", async () => {
  let cancelled = false;
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new Uint8Array(1024));
    },
    cancel() {
      cancelled = true;
    },
  });
  assert.equal(await readCapped(endless, 4096), "too_large");
  assert.ok(cancelled);
  assert.ok(pulled <= 7, `read ${pulled} chunks for a 4-chunk limit`);
  assert.equal(await readCapped(stream([new Uint8Array(5)]), 4), "too_large");
});
