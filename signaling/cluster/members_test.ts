import assert from "node:assert/strict";
import { InProcessBus } from "../bus/bus.ts";
import { topics } from "../bus/topics.ts";
import { ClusterMembers } from "./members.ts";

Deno.test("members: in one process the cluster is this node; nothing is announced", () => {
  const bus = new InProcessBus();
  const heard: string[] = [];
  bus.subscribe(topics.nodeAnnounce, (m) => heard.push(m.node));
  const m = new ClusterMembers(bus, { nodeId: "solo", announceMs: 0 });
  try {
    bus.publish(topics.nodeAnnounce, { node: "other" });
    assert.deepEqual(m.nodes(), ["solo"]);
    assert.deepEqual(heard, ["other"]);
  } finally {
    m.close();
  }
});

Deno.test("members: nodes on one bus learn each other at once and expire when silent", () => {
  const bus = new InProcessBus();
  let now = 0;
  const opts = { announceMs: 60_000, expireMs: 1_000, now: () => now };
  const a = new ClusterMembers(bus, { ...opts, nodeId: "a" });
  const b = new ClusterMembers(bus, { ...opts, nodeId: "b" });
  const c = new ClusterMembers(bus, { ...opts, nodeId: "c" });
  try {
    // c's start announcement made a and b answer: everyone knows everyone before any round.
    assert.deepEqual([a.nodes(), b.nodes(), c.nodes()], [
      ["a", "b", "c"],
      ["b", "a", "c"],
      ["c", "a", "b"],
    ]);
    // A node that crashes says nothing: here one that only ever announced itself.
    bus.publish(topics.nodeAnnounce, { node: "d" });
    assert.deepEqual(a.nodes(), ["a", "b", "c", "d"]);
    c.close();
    assert.deepEqual(a.nodes(), ["a", "b", "d"], "c stopped cleanly: gone at once");
    now = 500;
    a.announce();
    b.announce();
    now = 1_200;
    assert.deepEqual(a.nodes(), ["a", "b"], "d silent for 1.2 s");
    assert.deepEqual(b.nodes(), ["b", "a"]);
    // Garbage on the topic is ignored.
    bus.publish(topics.nodeAnnounce, { node: "bad node!" });
    bus.publish(topics.nodeAnnounce, {} as { node: string });
    assert.deepEqual(a.nodes(), ["a", "b"]);
  } finally {
    a.close();
    b.close();
    c.close();
  }
});
