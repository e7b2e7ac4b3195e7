/**
 * Cluster-wide events between two nodes (in this process) on real
 * PostgreSQL and NATS: a camera connected to node A is online on node B, a
 * viewer's WHEP offer on B reaches the publisher on A over the bus (and its
 * PATCH/GET/DELETE sent to A reach B), logout on A ends the viewer's session
 * and presence stream held on B, user:set narrowing a viewer's cameras ends
 * his stream on B, and device:revoke by an operator (against the shared
 * store, as if on B's host) closes the channel on A and takes the camera
 * offline everywhere, each within 1 s; both keep working after NATS and
 * PostgreSQL restart. The operator console is cluster-wide: either node's
 * `/api/admin/sessions` lists both nodes' sessions (and `/api/admin/devices`
 * the channel's address and version from the node holding it), a DELETE on B ends a
 * session held by A, B's `/api/admin/audit` shows A's events, a node that
 * does not answer is named `unreachable`, and a stopped node says it leaves
 * and is gone from the membership.
 */
import assert from "node:assert/strict";
import { topics } from "../../signaling/bus/topics.ts";
import { deviceRevoke, userSet } from "../../signaling/admin/commands.ts";
import { startBackends } from "../helpers/cluster/backends.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollDevice, loginViewer, startTestServer, type TestServer } from "../helpers/server.ts";
import { waitUntil } from "../helpers/wait.ts";

async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number) {
  const t0 = performance.now();
  while (!(await ok())) {
    if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - t0;
}

async function cameras(n: TestServer, token: string) {
  const r = await fetch(`${n.base}/api/cameras`, {
    client: n.client,
    headers: { authorization: `Bearer ${token}` },
  });
  return (await r.json()).cameras as { id: string; online: boolean }[];
}

Deno.test({
  name: "cluster events: presence, the WHEP relay, logout and revocation across nodes",
  ignore: ignoreUnlessInstalled("postgres", "nats"),
  fn: async (t) => {
    await using b = await startBackends();
    // Short membership rounds: a stopped node leaves within 3 × 200 ms.
    const cluster = { ...b.nodeSettings, clusterAnnounceMs: 200 };
    const a = await startTestServer({ ...cluster, nodeId: "a" });
    const nb = await startTestServer({ ...cluster, nodeId: "b" });
    const dev = await enrollDevice(a, "door");
    const pub = await connectPublisher(dev, "Front door");
    try {
      const alice = await loginViewer(nb, "alice", ["door"]);

      await t.step("the camera on A is online for a viewer on B", async () => {
        const ms = await until(
          "online on b",
          async () =>
            (await cameras(nb, alice.token)).find((c) => c.id === "door")?.online === true,
          1_000,
        );
        console.log(`presence on b after ${ms.toFixed(0)} ms`);
      });

      let location = "";
      await t.step("a WHEP offer on B reaches the publisher on A; its answer returns", async () => {
        const r = await fetch(`${nb.base}/whep/door`, {
          method: "POST",
          client: nb.client,
          headers: { "content-type": "application/sdp", authorization: `Bearer ${alice.token}` },
          body: RECVONLY_OFFER,
        });
        assert.equal(r.status, 201, await r.clone().text());
        assert.match(await r.text(), /s=scripted/);
        location = r.headers.get("location")!;
        const offer = pub.received.find((m) => m.type === "offer")!;
        assert.equal(offer.viewer, "alice");
      });

      await t.step("PATCH, GET and DELETE of B's session sent to A are relayed to B", async () => {
        const auth = { authorization: `Bearer ${alice.token}` };
        const frag = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n" +
          "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n";
        const patch = await fetch(`${a.base}${location}`, {
          method: "PATCH",
          client: a.client,
          headers: { ...auth, "content-type": "application/trickle-ice-sdpfrag", "if-match": "*" },
          body: frag,
        });
        await patch.body?.cancel();
        assert.equal(patch.status, 204);
        const cand = await pub.waitFor((m) => m.type === "candidate", 2_000);
        assert.match(cand.candidate as string, /127\.0\.0\.1 50000/);
        const get = await fetch(`${a.base}${location}`, { client: a.client, headers: auth });
        await get.body?.cancel();
        assert.equal(get.status, 204);
        // Someone else's session id: 404 from the holder, as locally.
        const bob = await loginViewer(a, "carol", ["door"]);
        const foreign = await fetch(`${a.base}${location}`, {
          client: a.client,
          headers: { authorization: `Bearer ${bob.token}` },
        });
        await foreign.body?.cancel();
        assert.equal(foreign.status, 404);
        // A second session on B, ended through A.
        const r = await fetch(`${nb.base}/whep/door`, {
          method: "POST",
          client: nb.client,
          headers: { "content-type": "application/sdp", ...auth },
          body: RECVONLY_OFFER,
        });
        await r.body?.cancel();
        assert.equal(r.status, 201);
        const second = r.headers.get("location")!;
        const del = await fetch(`${a.base}${second}`, {
          method: "DELETE",
          client: a.client,
          headers: auth,
        });
        await del.body?.cancel();
        assert.equal(del.status, 200);
        const sid = second.split("/").at(-1);
        await pub.waitFor((m) => m.type === "close" && m.sessionId === sid, 2_000);
        const again = await fetch(`${a.base}${second}`, { client: a.client, headers: auth });
        await again.body?.cancel();
        assert.equal(again.status, 404, "ended: unknown everywhere");
      });

      await t.step(
        "the console on either node lists, ends and audits every node's sessions",
        async () => {
          const root = await loginViewer(a, "root", ["*"], true);
          const admin = (n: TestServer, method: string, path: string) =>
            fetch(`${n.base}${path}`, {
              method,
              client: n.client,
              headers: { authorization: `Bearer ${root.token}` },
            });
          const list = async (n: TestServer) => {
            const r = await admin(n, "GET", "/api/admin/sessions");
            assert.equal(r.status, 200);
            return await r.json() as {
              sessions: { id: string; node: string; viewer: string }[];
              unreachable: string[];
            };
          };
          // Alice's session on A, next to her session on B (`location`).
          const r = await fetch(`${a.base}/whep/door`, {
            method: "POST",
            client: a.client,
            headers: { "content-type": "application/sdp", authorization: `Bearer ${alice.token}` },
            body: RECVONLY_OFFER,
          });
          await r.body?.cancel();
          assert.equal(r.status, 201);
          const onA = r.headers.get("location")!.split("/").at(-1)!;
          const onB = location.split("/").at(-1)!;
          for (const n of [a, nb]) {
            const { sessions, unreachable } = await list(n);
            assert.deepEqual(unreachable, []);
            assert.deepEqual(
              sessions.map((s) => [s.id, s.node]).sort(),
              [[onA, "a"], [onB, "b"]].sort(),
              `listed on ${n.ctx.nodeId}`,
            );
          }
          // The device's channel is on A; B's console shows its address, version and stream too.
          pub.send({
            type: "stats",
            viewers: 2,
            bitrateBps: 1.5e6,
            fps: 25,
            packetsLost: 0,
            cpuSeconds: 1,
            rssBytes: 1e7,
          });
          await waitUntil(() => a.ctx.hub.channels()[0]?.stats !== null, 5_000, "stats on a");
          for (const n of [a, nb]) {
            const r = await admin(n, "GET", "/api/admin/devices");
            assert.equal(r.status, 200);
            const { devices, unreachable } = await r.json();
            assert.deepEqual(unreachable, []);
            const door = devices.find((d: { id: string }) => d.id === "door");
            assert.equal(door?.node, "a", JSON.stringify(door));
            assert.deepEqual(door.stream, {
              viewers: 2,
              bitrateBps: 1.5e6,
              fps: 25,
              packetsLost: 0,
              rssBytes: 1e7,
            });
            assert.ok(
              door.online && door.address && door.version && door.lastSeen,
              JSON.stringify(door),
            );
          }
          const t0 = performance.now();
          const del = await admin(nb, "DELETE", `/api/admin/sessions/${onA}`);
          await del.body?.cancel();
          assert.equal(del.status, 204);
          await pub.waitFor((m) => m.type === "close" && m.sessionId === onA, 1_000);
          console.log(
            `session on a ended ${(performance.now() - t0).toFixed(0)} ms after DELETE on b`,
          );
          assert.deepEqual((await list(a)).sessions.map((s) => s.id), [onB]);
          const again = await admin(nb, "DELETE", `/api/admin/sessions/${onA}`);
          assert.equal(again.status, 404, "held by no node");
          assert.equal((await again.json()).error, "unknown_session");
          // A's audit log, read on B: the end, audited where the session was, and its start.
          const audit = await admin(nb, "GET", "/api/admin/audit?kind=session&limit=1000");
          assert.equal(audit.status, 200);
          const { entries, unreachable } = await audit.json() as {
            entries: { event: string; session?: string; node: string; ts: string; by?: string }[];
            unreachable: string[];
          };
          assert.deepEqual(unreachable, []);
          const ofA = entries.filter((e) => e.session === onA).map((e) => [e.event, e.node, e.by]);
          assert.deepEqual(ofA.slice(0, 1), [["session.end", "a", "admin"]], "newest first");
          assert.ok(ofA.some(([event, node]) => event === "session.start" && node === "a"));
          assert.ok(entries.some((e) => e.session === onB && e.node === "b"), "B's own too");
          assert.deepEqual(entries.map((e) => e.ts), entries.map((e) => e.ts).sort().reverse());
          const ended = await (await admin(nb, "GET", "/api/admin/audit?kind=admin.session_ended"))
            .json();
          assert.deepEqual(
            ended.entries.map((e: Record<string, string>) => [e.session, e.admin, e.node]),
            [[onA, "root", "a"]],
          );
          // The limit applies to the merged log.
          const one = await (await admin(nb, "GET", "/api/admin/audit?limit=1")).json();
          assert.equal(one.entries.length, 1);
        },
      );

      await t.step("a node that stops answering is unreachable; stopped, it leaves", async () => {
        const root = await loginViewer(a, "root2", ["*"], true);
        const c = await startTestServer({ ...cluster, nodeId: "c" });
        let stopped = false;
        try {
          const joined = await until(
            "c known to a and b",
            () => [a, nb].every((n) => n.ctx.members.nodes().includes("c")),
            1_000,
          );
          console.log(`c joined the membership after ${joined.toFixed(0)} ms`);
          assert.deepEqual(c.ctx.members.nodes(), ["c", "a", "b"]);
          // c's console no longer answers (a hung node): listed as such, the rest is returned.
          c.ctx.nodeConsole.close();
          const r = await fetch(`${a.base}/api/admin/sessions`, {
            client: a.client,
            headers: { authorization: `Bearer ${root.token}` },
          });
          assert.equal(r.status, 200);
          const body = await r.json();
          assert.deepEqual(body.unreachable, ["c"]);
          assert.equal(body.sessions.length, 1, "b's session");
          const saidLeaving = new Promise<boolean>((resolve) => {
            const off = a.ctx.bus.subscribe(topics.nodeAnnounce, (m) => {
              if (m.node === "c" && m.leaving === true) {
                off();
                resolve(true);
              }
            });
            setTimeout(() => resolve(false), 5_000);
          });
          await c.stop();
          stopped = true;
          assert.equal(await saidLeaving, true, "a clean stop says it is leaving");
          const t0 = performance.now();
          const left = await until(
            "c gone from a's and b's membership",
            () => [a, nb].every((n) => !n.ctx.members.nodes().includes("c")),
            2_000,
          );
          console.log(`c left the membership ${left.toFixed(0)} ms after it stopped`);
          assert.ok(performance.now() - t0 < 2_000);
          const after = await (await fetch(`${a.base}/api/admin/sessions`, {
            client: a.client,
            headers: { authorization: `Bearer ${root.token}` },
          })).json();
          assert.deepEqual(after.unreachable, []);
        } finally {
          if (!stopped) await c.stop();
        }
      });

      await t.step(
        "logout on A ends the viewer's session and presence stream held on B within 1 s",
        async () => {
          const sessionId = location.split("/").at(-1);
          // Alice's presence stream, held by node B.
          const events = await fetch(`${nb.base}/api/cameras/events`, {
            client: nb.client,
            headers: { authorization: `Bearer ${alice.token}` },
          });
          assert.equal(events.status, 200);
          const reader = events.body!.getReader();
          await reader.read(); // the initial presence
          const streamEnded = (async () => {
            while (!(await reader.read()).done);
            return performance.now();
          })();
          const t0 = performance.now();
          const r = await fetch(`${a.base}/auth/logout`, {
            method: "POST",
            client: a.client,
            headers: { authorization: `Bearer ${alice.token}` },
          });
          assert.equal(r.status, 204);
          const closed = await pub.waitFor(
            (m) => m.type === "close" && m.sessionId === sessionId,
            1_000,
          );
          console.log(
            `session on b ended ${(performance.now() - t0).toFixed(0)} ms after logout on a`,
          );
          assert.ok(closed);
          const endedAt = await Promise.race([
            streamEnded,
            new Promise<number>((_, reject) =>
              setTimeout(
                () => reject(new Error("presence stream on b still open 1 s after")),
                1_000,
              )
            ),
          ]);
          console.log(
            `presence stream on b ended ${(endedAt - t0).toFixed(0)} ms after logout on a`,
          );
          const gone = await fetch(`${nb.base}${location}`, {
            method: "DELETE",
            client: nb.client,
            headers: { authorization: `Bearer ${alice.token}` },
          });
          await gone.body?.cancel();
          assert.ok(gone.status === 401 || gone.status === 404, String(gone.status));
        },
      );

      await t.step(
        "user:set (operator, shared store) narrowing dave's cameras ends his stream on B within 1 s",
        async () => {
          const dave = await loginViewer(nb, "dave", ["door", "garden"]);
          const events = await fetch(`${nb.base}/api/cameras/events`, {
            client: nb.client,
            headers: { authorization: `Bearer ${dave.token}` },
          });
          assert.equal(events.status, 200);
          const reader = events.body!.getReader();
          await reader.read();
          const t0 = performance.now();
          await userSet(nb.target, "dave", { cameras: ["garden"] });
          const ended = (async () => {
            while (!(await reader.read()).done);
            return performance.now();
          })();
          const at = await Promise.race([
            ended,
            new Promise<number>((_, reject) =>
              setTimeout(() => reject(new Error("dave's stream on b still open 1 s after")), 1_000)
            ),
          ]);
          console.log(`stream on b ended ${(at - t0).toFixed(0)} ms after user:set`);
        },
      );

      await t.step("NATS and PostgreSQL restarted: the nodes carry on", async () => {
        await b.nats.stop();
        await b.pg.stop();
        await new Promise((r) => setTimeout(r, 1_500));
        await b.pg.start();
        await b.nats.start();
        for (const n of [a, nb]) {
          await until(
            `${n.ctx.nodeId} ready`,
            async () => (await n.ctx.readiness.check()).ready,
            15_000,
          );
        }
        await until(
          "online on b again",
          () => nb.ctx.presence.get("door")?.online === true,
          10_000,
        );
      });

      await t.step(
        "device:revoke (operator, shared store) closes the channel on A within 1 s",
        async () => {
          const bob = await loginViewer(nb, "bob", ["door"]);
          const closed = new Promise<number>((resolve) =>
            pub.ws.addEventListener("close", () => resolve(performance.now()))
          );
          const t0 = performance.now();
          await deviceRevoke(nb.target, "door");
          const at = await Promise.race([
            closed,
            new Promise<number>((_, reject) =>
              setTimeout(() => reject(new Error("channel on a not closed within 1 s")), 1_000)
            ),
          ]);
          console.log(`channel on a closed ${(at - t0).toFixed(0)} ms after device:revoke`);
          await until("offline on b", () => nb.ctx.presence.get("door")?.online === false, 1_000);
          const r = await fetch(`${nb.base}/whep/door`, {
            method: "POST",
            client: nb.client,
            headers: { "content-type": "application/sdp", authorization: `Bearer ${bob.token}` },
            body: RECVONLY_OFFER,
          });
          await r.body?.cancel();
          assert.ok(r.status >= 400, `a new offer is refused (${r.status})`);
        },
      );
    } finally {
      dev.client.close();
      await pub.close().catch(() => {});
      await a.stop();
      await nb.stop();
    }
  },
});
