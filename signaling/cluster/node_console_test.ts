import assert from "node:assert/strict";
import { join } from "node:path";
import { AuditLog } from "../audit/audit_log.ts";
import { InProcessBus } from "../bus/bus.ts";
import { topics } from "../bus/topics.ts";
import type { WhepSession } from "../sessions/table.ts";
import { NodeConsole } from "./node_console.ts";

/** A node's sessions as plain data: what NodeConsole reads of ViewingSessions. */
function sessions(ids: string[]) {
  const live = new Map<string, WhepSession>(ids.map((id, i) => [id, {
    id,
    camera: "door",
    viewer: "alice",
    family: "f",
    ip: "192.0.2.1",
    createdAt: Date.UTC(2025, 0, 1, 0, 0, i),
    etag: "x",
    credentials: null,
    iceRestarts: 0,
    restarting: false,
    pair: i === 0 ? { local: "host", remote: "relay" } : null,
  }]));
  const ended: string[] = [];
  return {
    ended,
    list: () => [...live.values()],
    get: (id: string) => live.get(id),
    endByAdmin: (id: string) => {
      ended.push(id);
      return live.delete(id);
    },
    counts: (camera: string, viewer: string) => ({
      camera: [...live.values()].filter((s) => s.camera === camera).length,
      viewer: [...live.values()].filter((s) => s.viewer === viewer).length,
    }),
  };
}

/** A node's device hub as plain data: one channel per device id given, seen at `at`. */
function hub(devices: string[], at: number, connectedAt = at) {
  return {
    channels: () =>
      devices.map((deviceId) => ({
        deviceId,
        serial: "01",
        address: `192.0.2.${devices.indexOf(deviceId) + 10}`,
        connectedAt,
        lastSeen: at,
        version: "1.2.3",
        certExpiresAt: null,
        stats: deviceId === "door"
          ? { viewers: 1, bitrateBps: 2e6, fps: 30, packetsLost: 0, cpuSeconds: 1, rssBytes: 1 }
          : null,
      })),
    seen: () => [...devices, "gone"].map((deviceId) => ({ deviceId, at })),
  };
}

/** Two nodes' consoles on one bus, each with its own audit log file. */
async function twoNodes(nodes: string[], timeoutMs = 200) {
  const dir = await Deno.makeTempDir();
  const bus = new InProcessBus();
  const make = (node: string, ids: string[]) => {
    const audit = new AuditLog(join(dir, `${node}.log`));
    const viewing = sessions(ids);
    const c = new NodeConsole({
      bus,
      members: { nodeId: node, nodes: () => [node, ...nodes.filter((n) => n !== node)] },
      viewing,
      hub: node === "a" ? hub(["door"], 1_000) : hub(["yard"], 2_000),
      audit,
      auditPath: join(dir, `${node}.log`),
      timeoutMs,
    });
    return { c, audit, viewing };
  };
  const a = make("a", ["s1", "s3"]);
  const b = make("b", ["s2"]);
  return {
    a,
    b,
    bus,
    async [Symbol.asyncDispose]() {
      for (const n of [a, b]) {
        n.c.close();
        n.audit.close();
      }
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("node console: every node's device channels, with the node holding each", async () => {
  await using t = await twoNodes(["a", "b"]);
  const r = await t.b.c.devices();
  assert.deepEqual(r.unreachable, []);
  assert.deepEqual(
    [...r.channels.values()].map((c) => [c.deviceId, c.node, c.address, c.version]).sort(),
    [["door", "a", "192.0.2.10", "1.2.3"], ["yard", "b", "192.0.2.10", "1.2.3"]],
  );
  assert.equal(r.channels.get("door")?.stats?.bitrateBps, 2e6, "a's stats reach b over the bus");
  assert.equal(r.channels.get("yard")?.stats, null);
  assert.equal(r.lastSeen.get("door"), 1_000);
  assert.equal(r.lastSeen.get("gone"), 2_000, "the latest of both nodes");
});

Deno.test("node console: every node's sessions, each with its node", async () => {
  await using t = await twoNodes(["a", "b"]);
  const r = await t.b.c.sessions();
  assert.deepEqual(r.unreachable, []);
  assert.deepEqual(r.sessions.map((s) => [s.id, s.node, s.path]), [
    ["s1", "a", "relay"],
    ["s2", "b", "relay"],
    ["s3", "a", null],
  ]);
  assert.equal(r.sessions[0].since, "2025-01-01T00:00:00.000Z");
});

Deno.test("node console: a node that does not answer in time is unreachable, the rest counts", async () => {
  await using t = await twoNodes(["a", "b", "slow", "gone"], 100);
  t.bus.respond(topics.nodeSessions("slow"), () => new Promise(() => {}));
  const t0 = performance.now();
  const r = await t.a.c.sessions();
  const ms = performance.now() - t0;
  assert.deepEqual(r.unreachable, ["slow", "gone"]);
  assert.deepEqual(r.sessions.map((s) => s.id), ["s1", "s2", "s3"]);
  assert.ok(ms >= 90 && ms < 1_000, `${ms} ms`);
  const audit = await t.a.c.auditEntries({ limit: 10 });
  assert.deepEqual(audit.unreachable, ["slow", "gone"]);
});

Deno.test("node console: audit logs merged newest first, tagged, filtered, limited after", async () => {
  await using t = await twoNodes(["a", "b"]);
  t.a.audit.log("login.success", { user: "alice" });
  await new Promise((r) => setTimeout(r, 2));
  t.b.audit.log("login.failure", { user: "alice" });
  await new Promise((r) => setTimeout(r, 2));
  t.a.audit.log("login.success", { user: "bob" });
  const all = await t.b.c.auditEntries({ limit: 10 });
  assert.deepEqual(all.entries.map((e) => [e.event, e.user, e.node]), [
    ["login.success", "bob", "a"],
    ["login.failure", "alice", "b"],
    ["login.success", "alice", "a"],
  ]);
  const alice = await t.b.c.auditEntries({ user: "alice", kind: "login", limit: 1 });
  assert.deepEqual(alice.entries.map((e) => [e.event, e.node]), [["login.failure", "b"]]);
});

Deno.test("node console: ending a session another node holds; unknown when none does", async () => {
  await using t = await twoNodes(["a", "b"]);
  assert.equal(await t.b.c.end("s1", "root", "203.0.113.9"), "ended");
  assert.deepEqual(t.a.viewing.ended, ["s1"]);
  const audited = await t.a.c.auditEntries({ kind: "admin.session_ended", limit: 10 });
  assert.deepEqual(
    audited.entries.map((e) => [e.session, e.admin, e.ip, e.camera, e.viewer, e.node]),
    [["s1", "root", "203.0.113.9", "door", "alice", "a"]],
    "audited by the node that held it",
  );
  assert.equal(await t.b.c.end("s1", "root", "203.0.113.9"), "unknown");
  assert.equal(await t.b.c.end("s2", "root", "203.0.113.9"), "ended", "its own");
  assert.deepEqual(t.b.viewing.ended, ["s2"]);
});

Deno.test("node console: no node answering for a session is not 'unknown'", async () => {
  await using t = await twoNodes(["a", "b", "gone"], 100);
  assert.deepEqual(await t.a.c.end("nope", "root", "::1"), { unreachable: ["gone"] });
  assert.equal(await t.a.c.end("s2", "root", "::1"), "ended", "b held it");
});
