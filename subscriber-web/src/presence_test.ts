import assert from "node:assert/strict";
import { AuthLostError } from "./api.ts";
import { parsePresence, type PresenceEvent, PresenceStream } from "./presence.ts";

Deno.test("presence: event data is validated", () => {
  assert.deepEqual(parsePresence('{"id":"cam1","online":true,"since":1700000000}'), {
    id: "cam1",
    online: true,
    since: 1_700_000_000_000,
  });
  assert.equal(parsePresence('{"id":"cam1"}'), undefined);
  assert.equal(parsePresence('{"id":"../x","online":true}'), undefined);
  assert.equal(parsePresence("not json"), undefined);
  assert.equal(parsePresence("null"), undefined);
});

function sseResponse(chunks: string[]): Response {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(enc.encode(chunk));
      c.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
}

Deno.test("presence: reads events over fetch, reconnects after the stream ends", async () => {
  const events: PresenceEvent[] = [];
  const opens: boolean[] = [];
  const closes: number[] = [];
  const requests: Headers[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const api = {
    fetch: (path: string, init: RequestInit = {}) => {
      assert.equal(path, "/api/cameras/events");
      requests.push(new Headers(init.headers));
      if (requests.length === 1) {
        // split in awkward places, with a keep-alive comment
        return Promise.resolve(sseResponse([
          ': hi\n\nid: 4\nevent: presence\ndata: {"id":"cam1","onl',
          'ine":true,"since":1}\n',
          '\nevent: other\ndata: x\n\nevent: presence\ndata: {"id":"cam2","online":false}\n\n',
        ]));
      }
      if (requests.length === 2) return Promise.resolve(new Response("nope", { status: 502 }));
      return Promise.resolve(
        sseResponse(['retry: 1\nevent: presence\ndata: {"id":"cam1","online":false}\n\n']),
      );
    },
  };
  const stream = new PresenceStream({
    api,
    backoff: { baseMs: 1, maxMs: 2, factor: 1, jitter: 0 },
    onPresence: (e) => {
      events.push(e);
      if (events.length === 3) done();
    },
    onOpen: (reconnect) => opens.push(reconnect),
    onClose: (ms) => closes.push(ms),
  });
  stream.start();
  await finished;
  stream.stop();
  assert.deepEqual(events, [
    { id: "cam1", online: true, since: 1000 },
    { id: "cam2", online: false, since: null },
    { id: "cam1", online: false, since: null },
  ]);
  assert.deepEqual(opens, [false, true]);
  assert.ok(closes.length >= 2);
  assert.equal(requests[0].get("accept"), "text/event-stream");
  assert.equal(requests[0].get("last-event-id"), null);
  assert.equal(requests[2].get("last-event-id"), "4", "resumes with Last-Event-ID");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(stream.running, false);
});

Deno.test("presence: auth lost stops the stream", async () => {
  let lost = 0;
  const stream = new PresenceStream({
    api: { fetch: () => Promise.reject(new AuthLostError()) },
    onPresence: () => {},
    onAuthLost: () => lost++,
  });
  stream.start();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(lost, 1);
  assert.equal(stream.running, false);
});

Deno.test("presence: an idle stream (no bytes, not even keep-alives) is dropped", async () => {
  let calls = 0;
  const closes: (string | null)[] = [];
  const stream = new PresenceStream({
    api: {
      fetch: (_p: string, init: RequestInit = {}) => {
        calls++;
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            init.signal?.addEventListener("abort", () => c.error(init.signal?.reason));
          },
        });
        return Promise.resolve(
          new Response(body, { headers: { "content-type": "text/event-stream" } }),
        );
      },
    },
    idleTimeoutMs: 10,
    backoff: { baseMs: 1, maxMs: 1, factor: 1, jitter: 0 },
    onPresence: () => {},
    onClose: (_ms, err) => closes.push(err),
  });
  stream.start();
  await new Promise((r) => setTimeout(r, 60));
  stream.stop();
  await new Promise((r) => setTimeout(r, 15));
  assert.ok(calls >= 2, `reconnected after idling (${calls})`);
  assert.ok(closes.length >= 1);
});
