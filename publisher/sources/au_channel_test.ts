import assert from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import { AccessUnitChannel } from "./au_channel.ts";

const au = (i: number, keyframe = false): AccessUnit => ({
  nalus: [new Uint8Array([keyframe ? 0x65 : 0x41, 0x88])],
  keyframe,
  timestamp: i,
  captureTimeMs: i,
});

Deno.test("AccessUnitChannel", async (t) => {
  await t.step("delivers in order to a waiting or later consumer, ends on close", async () => {
    const ch = new AccessUnitChannel();
    const first = ch.next();
    ch.push(au(1, true));
    ch.push(au(2));
    ch.close();
    assert.equal((await first).value?.timestamp, 1);
    const rest = [];
    for await (const x of ch) rest.push(x.timestamp);
    assert.deepEqual(rest, [2]);
    assert.equal(ch.push(au(3)), false);
  });

  await t.step("a lagging consumer loses the queue and resumes at a keyframe", async () => {
    const ch = new AccessUnitChannel(3);
    ch.push(au(0, true));
    for (let i = 1; i <= 5; i++) ch.push(au(i));
    ch.push(au(6, true));
    ch.push(au(7));
    ch.close();
    const got = [];
    for await (const x of ch) got.push(x.timestamp);
    assert.deepEqual(got, [6, 7]);
    assert.equal(ch.dropped, 6);
  });

  await t.step("leaving the loop early calls onReturn and closes", async () => {
    let returned = false;
    const ch = new AccessUnitChannel(10, () => (returned = true));
    ch.push(au(0, true));
    ch.push(au(1));
    for await (const _ of ch) break;
    assert.equal(returned, true);
    assert.equal(ch.closed, true);
  });
});
