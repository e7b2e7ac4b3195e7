import assert from "node:assert/strict";
import type { AdminSession } from "../bus/topics.ts";
import { fitEntries, mergeAudit, mergeDevices, mergeSessions } from "./console_merge.ts";

const session = (id: string, node: string, since: string): AdminSession => ({
  id,
  camera: "door",
  viewer: "alice",
  since,
  from: "127.0.0.1",
  path: null,
  pair: null,
  iceRestarts: 0,
  node,
});

Deno.test("mergeSessions: one list, oldest first, each keeps its node", () => {
  const a = [
    session("1", "a", "2025-01-01T00:00:01.000Z"),
    session("3", "a", "2025-01-01T00:00:03.000Z"),
  ];
  const b = [session("2", "b", "2025-01-01T00:00:02.000Z")];
  assert.deepEqual(mergeSessions([a, b]).map((s) => [s.id, s.node]), [
    ["1", "a"],
    ["2", "b"],
    ["3", "a"],
  ]);
  assert.deepEqual(mergeSessions([]), []);
});

Deno.test("mergeAudit: newest first across nodes, tagged, limit after merging", () => {
  const a = [
    { ts: "2025-01-01T00:00:05.000Z", event: "a.3" },
    { ts: "2025-01-01T00:00:03.000Z", event: "a.2" },
    { ts: "2025-01-01T00:00:01.000Z", event: "a.1" },
  ];
  const b = [
    { ts: "2025-01-01T00:00:04.000Z", event: "b.2" },
    { ts: "2025-01-01T00:00:02.000Z", event: "b.1" },
  ];
  const merged = mergeAudit([{ node: "a", entries: a }, { node: "b", entries: b }], 4);
  assert.deepEqual(merged.map((e) => [e.event, e.node]), [
    ["a.3", "a"],
    ["b.2", "b"],
    ["a.2", "a"],
    ["b.1", "b"],
  ]);
  // The same millisecond: each node's own order is kept.
  const same = "2025-01-01T00:00:00.000Z";
  const tie = mergeAudit([{
    node: "a",
    entries: [{ ts: same, event: "second" }, { ts: same, event: "first" }],
  }], 10);
  assert.deepEqual(tie.map((e) => e.event), ["second", "first"]);
  // An entry without a time sorts last.
  const odd = mergeAudit([{ node: "a", entries: [{ event: "x" }, { ts: same, event: "y" }] }], 10);
  assert.deepEqual(odd.map((e) => e.event), ["y", "x"]);
});

Deno.test("fitEntries: keeps the first entries that fit, says when it cut", () => {
  const entries = Array.from({ length: 10 }, (_, i) => ({ event: "x", n: i, pad: "p".repeat(90) }));
  assert.deepEqual(fitEntries(entries, 1_000_000), { entries, truncated: false });
  const cut = fitEntries(entries, 64 + 3 * 120);
  assert.equal(cut.truncated, true);
  assert.deepEqual(cut.entries.map((e) => e.n), [0, 1, 2]);
});

Deno.test("mergeDevices: the newest connection of a device wins; last seen is the latest", () => {
  const ch = (deviceId: string, connectedAt: number, address: string) => ({
    deviceId,
    address,
    version: null,
    connectedAt,
  });
  const m = mergeDevices([
    {
      node: "a",
      reply: { channels: [ch("door", 10, "old")], lastSeen: [{ deviceId: "door", at: 50 }] },
    },
    {
      node: "b",
      reply: { channels: [ch("door", 20, "new")], lastSeen: [{ deviceId: "door", at: 40 }] },
    },
    // A malformed answer counts as nothing.
    { node: "c", reply: { channels: null, lastSeen: null } as never },
  ]);
  assert.deepEqual(m.channels.get("door"), { ...ch("door", 20, "new"), node: "b" });
  assert.equal(m.lastSeen.get("door"), 50);
  assert.equal(m.channels.size, 1);
});
