import assert from "node:assert/strict";
import {
  LineBuffer,
  parseFdLimit,
  parseStartupLine,
  perDeviceKiB,
  splitRanges,
  summarizeMs,
} from "./util.ts";

Deno.test("LineBuffer keeps partial lines until completed", () => {
  const b = new LineBuffer();
  assert.deepEqual(b.push("one\ntw"), ["one"]);
  assert.deepEqual(b.push("o\r\nthree"), ["two"]);
  assert.deepEqual(b.flush(), ["three"]);
  assert.deepEqual(b.flush(), []);
});

Deno.test("parseStartupLine reads the server's and the inspector's lines", () => {
  assert.deepEqual(parseStartupLine("vigil: viewers and enrollment on https://127.0.0.1:4100"), {
    kind: "publicUrl",
    url: "https://127.0.0.1:4100",
  });
  assert.deepEqual(parseStartupLine("vigil: devices (mTLS) on port 4101"), {
    kind: "devicePort",
    port: 4101,
  });
  assert.deepEqual(parseStartupLine("Debugger listening on ws://127.0.0.1:9229/ws/ab-cd"), {
    kind: "inspector",
    url: "ws://127.0.0.1:9229/ws/ab-cd",
  });
  assert.equal(parseStartupLine("vigil: data in /tmp/x"), null);
});

Deno.test("parseFdLimit reads Max open files", () => {
  const text = [
    "Limit                     Soft Limit           Hard Limit           Units",
    "Max processes             95000                95000                processes",
    "Max open files            1024                 524288               files",
  ].join("\n");
  assert.deepEqual(parseFdLimit(text), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseFdLimit("Max open files unlimited unlimited files"), {
    soft: Infinity,
    hard: Infinity,
  });
  assert.equal(parseFdLimit("nothing"), null);
});

Deno.test("perDeviceKiB divides the growth", () => {
  assert.equal(perDeviceKiB(100_000, 150_000, 1000), 50);
  assert.equal(perDeviceKiB(100_000, 99_000, 1000), -1);
  assert.equal(Number.isNaN(perDeviceKiB(1, 2, 0)), true);
});

Deno.test("summarizeMs gives median, p95 and max", () => {
  assert.deepEqual(summarizeMs([5, 1, 3, 2, 4]), { n: 5, medianMs: 3, p95Ms: 5, maxMs: 5 });
  assert.equal(summarizeMs([]).n, 0);
});

Deno.test("splitRanges covers all items without overlap", () => {
  assert.deepEqual(splitRanges(10, 3), [[0, 3], [3, 6], [6, 10]]);
  assert.deepEqual(splitRanges(2, 4), [[0, 1], [1, 2]]);
  assert.deepEqual(splitRanges(1000, 1), [[0, 1000]]);
  assert.deepEqual(splitRanges(0, 2), []);
});
