import assert from "node:assert/strict";
import { parseSse, SseParser } from "./sse.ts";

Deno.test("sse: a simple event", () => {
  assert.deepEqual(parseSse('event: presence\ndata: {"id":"a"}\n\n'), [
    { event: "presence", data: '{"id":"a"}', id: "" },
  ]);
});

Deno.test("sse: default event type is message; multi-line data joined with \\n", () => {
  assert.deepEqual(parseSse("data: one\ndata: two\ndata:three\n\n"), [
    { event: "message", data: "one\ntwo\nthree", id: "" },
  ]);
});

Deno.test("sse: CRLF, CR and LF line endings", () => {
  const expected = [{ event: "x", data: "1", id: "" }, { event: "y", data: "2", id: "" }];
  assert.deepEqual(parseSse("event: x\r\ndata: 1\r\n\r\nevent: y\r\ndata: 2\r\n\r\n"), expected);
  assert.deepEqual(parseSse("event: x\rdata: 1\r\revent: y\rdata: 2\r\r"), expected);
  assert.deepEqual(parseSse("event: x\ndata: 1\n\nevent: y\ndata: 2\n\n"), expected);
});

Deno.test("sse: a CRLF split across chunks is one line break", () => {
  const p = new SseParser();
  assert.deepEqual(p.push("data: a\r"), []);
  assert.deepEqual(p.push("\n\r"), [{ event: "message", data: "a", id: "" }]);
  // the "\r" above ended the blank line; this "\n" must not create another one
  assert.deepEqual(p.push("\ndata: b\n\n"), [{ event: "message", data: "b", id: "" }]);
});

Deno.test("sse: feeding one character at a time gives the same events", () => {
  const stream = '\uFEFF: hello\r\nevent: presence\r\nid: 7\r\ndata: {"a":1}\r\n\r\n' +
    "data: x\n\nretry: 2500\nevent: e\ndata\n\n";
  const whole = parseSse(stream);
  const p = new SseParser();
  const pieces = [...stream].flatMap((c) => p.push(c));
  assert.deepEqual(pieces, whole);
  assert.equal(whole.length, 3);
  assert.equal(p.retry, 2500);
  assert.equal(p.lastEventId, "7");
});

Deno.test("sse: comments and unknown fields are ignored; no data → no event", () => {
  assert.deepEqual(parseSse(": keep-alive\n\nfoo: bar\n\nevent: lonely\n\n"), []);
});

Deno.test("sse: empty data line dispatches an empty string", () => {
  assert.deepEqual(parseSse("data\n\n"), [{ event: "message", data: "", id: "" }]);
  assert.deepEqual(parseSse("data:\n\n"), [{ event: "message", data: "", id: "" }]);
  assert.deepEqual(parseSse("data:\ndata:\n\n"), [{ event: "message", data: "\n", id: "" }]);
});

Deno.test("sse: only one leading space is stripped from values", () => {
  assert.deepEqual(parseSse("data:  two spaces\n\n")[0].data, " two spaces");
  assert.deepEqual(parseSse("data:no space\n\n")[0].data, "no space");
});

Deno.test("sse: colons in the value are kept", () => {
  assert.equal(parseSse('data: {"t":"10:32"}\n\n')[0].data, '{"t":"10:32"}');
});

Deno.test("sse: id persists across events; id with NUL is ignored; empty id resets", () => {
  const events = parseSse("id: 1\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n");
  assert.deepEqual(events.map((e) => e.id), ["1", "1", "1", ""]);
});

Deno.test("sse: retry only accepts ASCII digits", () => {
  const p = new SseParser();
  p.push("retry: 1000\n\n");
  assert.equal(p.retry, 1000);
  p.push("retry: 10s\n\nretry: -5\n\nretry:\n\n");
  assert.equal(p.retry, 1000);
});

Deno.test("sse: the event type does not leak into the next event", () => {
  const events = parseSse("event: presence\ndata: 1\n\ndata: 2\n\n");
  assert.deepEqual(events.map((e) => e.event), ["presence", "message"]);
});

Deno.test("sse: an unterminated event at end of stream is discarded", () => {
  const p = new SseParser();
  assert.deepEqual(p.push("id: 5\n\nevent: presence\ndata: half"), []);
  p.end();
  // after end() a new connection starts clean (BOM allowed again); id kept
  assert.deepEqual(p.push("\uFEFFdata: new\n\n"), [{ event: "message", data: "new", id: "5" }]);
});

Deno.test("sse: a BOM is only stripped at the very start", () => {
  const p = new SseParser();
  p.push("data: a\n\n");
  assert.deepEqual(p.push("\uFEFFdata: b\n\n"), []); // field name "\uFEFFdata" is unknown
});
