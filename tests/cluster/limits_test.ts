/**
 * Session limits count the whole cluster: two nodes on real PostgreSQL and
 * NATS with `--max-sessions-per-viewer 2` and `--max-sessions-per-camera 3`;
 * a viewer's sessions on A and on B together reach the limit, the next one
 * on either node is refused (429) before the publisher sees it, and ending
 * one frees a slot on the other node. Setups at the same moment on both
 * nodes never pass a limit together.
 */
import assert from "node:assert/strict";
import { startBackends } from "../helpers/cluster/backends.ts";
import { waitUntil } from "../helpers/wait.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";
import { connectPublisher, RECVONLY_OFFER } from "../helpers/scripted_publisher.ts";
import { enrollDevice, loginViewer, startTestServer, type TestServer } from "../helpers/server.ts";

Deno.test({
  name: "cluster: per-viewer and per-camera session limits count every node's sessions",
  ignore: ignoreUnlessInstalled("postgres", "nats"),
  fn: async () => {
    await using b = await startBackends();
    const cluster = {
      ...b.nodeSettings,
      clusterAnnounceMs: 200,
      maxSessionsPerViewer: 2,
      maxSessionsPerCamera: 3,
    };
    const a = await startTestServer({ ...cluster, nodeId: "a" });
    const nb = await startTestServer({ ...cluster, nodeId: "b" });
    const dev = await enrollDevice(a, "door");
    const pub = await connectPublisher(dev, "Front door");
    try {
      const alice = await loginViewer(a, "alice", ["door"]);
      const bob = await loginViewer(a, "bob", ["door"]);
      const deadline = Date.now() + 5_000;
      while (![a, nb].every((n) => n.ctx.members.nodes().length === 2)) {
        if (Date.now() > deadline) throw new Error("the nodes did not learn each other");
        await new Promise((r) => setTimeout(r, 20));
      }
      const offer = async (n: TestServer, token: string) => {
        const r = await fetch(`${n.base}/whep/door`, {
          method: "POST",
          client: n.client,
          headers: { "content-type": "application/sdp", authorization: `Bearer ${token}` },
          body: RECVONLY_OFFER,
        });
        const body = await r.text();
        return { status: r.status, location: r.headers.get("location"), body };
      };
      // Setups at the same moment on both nodes: together they never pass the limit
      // (each node reserves before asking the other; at worst both refuse the last slot).
      const carol = await loginViewer(a, "carol", ["door"]);
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all([a, nb, a, nb].map((n) => offer(n, carol.token)));
        const made = results.filter((r) => r.status === 201);
        assert.ok(made.length <= 2, `round ${round}: ${made.length} sessions for a limit of 2`);
        for (const r of results.filter((r) => r.status !== 201)) {
          assert.equal(r.status, 429, r.body);
        }
        for (const r of made) {
          for (const n of [a, nb]) {
            const del = await fetch(`${n.base}${r.location}`, {
              method: "DELETE",
              client: n.client,
              headers: { authorization: `Bearer ${carol.token}` },
            });
            await del.body?.cancel();
            if (del.status === 200) break;
          }
        }
        await waitUntil(() => a.ctx.viewing.list().length + nb.ctx.viewing.list().length === 0);
      }
      assert.equal((await offer(a, alice.token)).status, 201);
      const second = await offer(nb, alice.token);
      assert.equal(second.status, 201);
      const offers = pub.received.filter((f) => f.type === "offer").length;
      for (const n of [a, nb]) {
        const third = await offer(n, alice.token);
        assert.equal(third.status, 429, `a third session of alice on ${n.ctx.nodeId}`);
        assert.match(third.body, /viewer_full/);
      }
      assert.equal(pub.received.filter((f) => f.type === "offer").length, offers, "never offered");
      // The camera's limit (3) over both nodes: bob gets one more, then none.
      assert.equal((await offer(a, bob.token)).status, 201);
      const full = await offer(nb, bob.token);
      assert.equal(full.status, 429);
      assert.match(full.body, /camera_full/);
      // Ending alice's session on B frees a slot for her on A.
      const del = await fetch(`${nb.base}${second.location}`, {
        method: "DELETE",
        client: nb.client,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      await del.body?.cancel();
      assert.equal(del.status, 200);
      assert.equal((await offer(a, alice.token)).status, 201);
    } finally {
      await pub.close();
      dev.client.close();
      await nb.stop();
      await a.stop();
    }
  },
});
