/** The live presence stream follows a camera going online and offline. */
import assert from "node:assert/strict";
import { connectPublisher } from "../helpers/scripted_publisher.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";

Deno.test("presence stream: online and offline events for permitted cameras only", async () => {
  const s = await startTestServer();
  const cam = await enrollDevice(s, "porch");
  const other = await enrollDevice(s, "secret");
  const viewer = await loginViewer(s, "carol", ["porch"]);
  const ac = new AbortController();
  try {
    const res = await fetch(`${s.base}/api/cameras/events`, {
      client: s.client,
      headers: { authorization: `Bearer ${viewer.token}` },
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: { id: string; online: boolean }[] = [];
    let buffer = "";
    const next = async () => {
      while (true) {
        const i = buffer.indexOf("\n\n");
        if (i >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split("\n").find((l) => l.startsWith("data:"));
          if (data) return JSON.parse(data.slice(5));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += value;
      }
    };
    events.push(await next()); // the initial state
    assert.deepEqual([events[0].id, events[0].online], ["porch", false]);
    const pubSecret = await connectPublisher(other);
    const pub = await connectPublisher(cam);
    events.push(await next());
    assert.deepEqual(
      [events[1].id, events[1].online],
      ["porch", true],
      "no event for a camera outside scope",
    );
    await pub.close();
    events.push(await next());
    assert.deepEqual([events[2].id, events[2].online], ["porch", false]);
    await pubSecret.close();
  } finally {
    ac.abort();
    cam.client.close();
    other.client.close();
    await s.stop();
  }
});
