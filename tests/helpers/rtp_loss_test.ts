import assert from "node:assert/strict";
import { RtpLossCounter } from "./rtp_loss.ts";

function count(seqs: number[]): RtpLossCounter {
  const c = new RtpLossCounter();
  for (const s of seqs) c.add(s);
  return c;
}

Deno.test("RtpLossCounter: none lost, gaps, wrap-around, reordering", () => {
  assert.equal(count([]).lost, 0);
  assert.equal(count([10, 11, 12]).lost, 0);
  assert.equal(count([10, 12, 15]).lost, 3);
  assert.equal(count([65534, 65535, 1]).lost, 1); // 0 missing across the wrap
  assert.equal(count([5, 7, 6]).lost, 0); // late, not lost
  assert.equal(count([5, 7, 6, 3]).lost, 0); // older than the first: not counted as new range
  assert.equal(count([100, 200]).received, 2);
  assert.equal(count([100, 200]).lost, 99);
});
