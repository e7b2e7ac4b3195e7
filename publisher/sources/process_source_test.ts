import assert from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import { MAX_FLUSH_MISSES, ProcessSource } from "./process_source.ts";
import { type Logger, silentLogger } from "../../lib/log.ts";

// Three one-slice pictures (IDR with SPS/PPS, then two P pictures) in Annex-B.
const SPS = [0, 0, 0, 1, 0x67, 0x42, 0xe0, 0x1f, 0xaa];
const PPS = [0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80];
const idr = [0, 0, 0, 1, 0x65, 0x88, ...new Array(200).fill(0x11)];
const p = (fill: number) => [0, 0, 0, 1, 0x41, 0x9a, ...new Array(200).fill(fill)];

/**
 * A writer process: each element of `writes` is written at once, `pauseMs`
 * after the previous one; then it waits to be stopped.
 */
function writer(writes: number[][], pauseMs: number): ProcessSource {
  const script = `
    const writes = ${JSON.stringify(writes)};
    for (const w of writes) {
      await Deno.stdout.write(new Uint8Array(w));
      await new Promise((r) => setTimeout(r, ${pauseMs}));
    }
    await new Promise((r) => setTimeout(r, 60_000));`;
  return new ProcessSource({
    info: { kind: "synthetic", width: 16, height: 16, fps: 30, description: "test writer" },
    command: () => ({ binary: Deno.execPath(), args: ["eval", script] }),
    lowLatencyFlushMs: 0,
    logger: silentLogger,
  });
}

async function take(source: ProcessSource, n: number) {
  await source.start();
  const got: { au: AccessUnit; receivedMs: number }[] = [];
  for await (const au of source) {
    got.push({ au, receivedMs: Date.now() });
    if (got.length === n) break;
  }
  await source.stop();
  return got;
}

Deno.test("ProcessSource: capture time is when a picture's first bytes arrived, not when it was known complete", async () => {
  // A NAL unit ends at the next start code, a picture at the next picture's first
  // slice: the second picture leaves when the fourth starts.
  const source = writer([[...SPS, ...PPS, ...idr], p(0x22), p(0x33), p(0x44)], 300);
  const got = await take(source, 2);
  // Without the low-latency flush each picture is only complete once the next one
  // starts, 300 ms later; the stamp must still be the arrival of its own bytes.
  for (const { au, receivedMs } of got) {
    const held = receivedMs - au.captureTimeMs;
    assert.ok(held >= 250, `held ${held} ms`);
  }
  assert.ok(got[1].au.captureTimeMs - got[0].au.captureTimeMs >= 250);
});

Deno.test("ProcessSource: the low-latency flush ends a picture once the pipe is idle", async () => {
  const fast = new ProcessSource({
    info: { kind: "synthetic", width: 16, height: 16, fps: 30, description: "test writer" },
    command: () => ({
      binary: Deno.execPath(),
      args: [
        "eval",
        `for (const w of ${JSON.stringify([[...SPS, ...PPS, ...idr], p(0x22)])}) {
           await Deno.stdout.write(new Uint8Array(w));
           await new Promise((r) => setTimeout(r, 300));
         }
         await new Promise((r) => setTimeout(r, 60_000));`,
      ],
    }),
    lowLatencyFlushMs: 5,
    logger: silentLogger,
  });
  const got = await take(fast, 2);
  for (const { au, receivedMs } of got) {
    const held = receivedMs - au.captureTimeMs;
    assert.ok(held < 200, `held ${held} ms`);
  }
  assert.equal(got[0].au.keyframe, true);
  assert.equal(got[0].au.nalus.length, 3);
  assert.equal(fast.stats().flushMisses, 0);
});

Deno.test("ProcessSource: an encoder that pauses inside pictures turns the low-latency flush off", async () => {
  // Each P picture arrives in two writes 100 ms apart: every flush cuts it.
  const writes: number[][] = [[...SPS, ...PPS, ...idr]];
  for (let k = 0; k < MAX_FLUSH_MISSES + 4; k++) {
    const pic = p(0x40 + k);
    writes.push(pic.slice(0, 100), pic.slice(100));
  }
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m) };
  const source = new ProcessSource({
    info: { kind: "synthetic", width: 16, height: 16, fps: 30, description: "test writer" },
    command: () => ({
      binary: Deno.execPath(),
      args: [
        "eval",
        `for (const w of ${JSON.stringify(writes)}) {
           await Deno.stdout.write(new Uint8Array(w));
           await new Promise((r) => setTimeout(r, 100));
         }
         await new Promise((r) => setTimeout(r, 60_000));`,
      ],
    }),
    lowLatencyFlushMs: 5,
    logger,
  });
  const got = await take(source, MAX_FLUSH_MISSES + 3);
  assert.equal(source.stats().flushMisses, MAX_FLUSH_MISSES);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /low-latency flush turned off/);
  // The cut pictures carry the first write only; once the flush is off, pictures are whole again.
  assert.deepEqual(got.map(({ au }) => au.nalus.at(-1)!.length), [202, 96, 96, 96, 202, 202]);
});
