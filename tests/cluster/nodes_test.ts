/**
 * Two signaling nodes (in this process) on one real PostgreSQL and one real
 * NATS: one CA and one key ring sealed in the store, a one-time token that
 * works once across both nodes, key rotation reaching both, readiness.
 */
import assert from "node:assert/strict";
import { addDevice } from "../../signaling/admin/commands.ts";
import { rotateJwtKey } from "../../signaling/auth/jwt_keys.ts";
import { loadKek } from "../../signaling/auth/kek.ts";
import { sealedKeySource } from "../../signaling/certs/shared_keys.ts";
import { openStore } from "../../signaling/store/open.ts";
import { createCsr, generateDeviceKey } from "../../pki/mod.ts";
import { startBackends } from "../helpers/cluster/backends.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

async function until(what: string, ok: () => Promise<boolean>, ms = 5_000): Promise<number> {
  const t0 = performance.now();
  while (!(await ok())) {
    if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return performance.now() - t0;
}

Deno.test({
  name: "cluster nodes: shared CA and keys, exactly-once enrollment, rotation, readiness",
  ignore: ignoreUnlessInstalled("postgres", "nats"),
  fn: async (t) => {
    await using b = await startBackends();
    const nodes: TestServer[] = [];
    try {
      // Started together: one creates the CA, the other takes it.
      nodes.push(
        ...await Promise.all(
          ["a", "b"].map((nodeId) => startTestServer({ ...b.nodeSettings, nodeId })),
        ),
      );
      const [a, bNode] = nodes;
      const target = {
        dataDir: a.dataDir,
        store: b.pg.url,
        storePasswordFile: b.pg.passwordFile,
      };

      await t.step("one CA, one signing key, both nodes ready", async () => {
        assert.equal(a.caFingerprint, bNode.caFingerprint);
        // A race of two first starts may rotate twice; both follow the log to the current key.
        await until("both sign with the same key", async () => {
          const jwks = await Promise.all(
            nodes.map(async (
              n,
            ) => (await (await fetch(`${n.base}/.well-known/jwks.json`, { client: n.client }))
              .json())
            ),
          );
          return a.ctx.ring.current.kid === bNode.ctx.ring.current.kid &&
            JSON.stringify(jwks[0]) === JSON.stringify(jwks[1]);
        });
        for (const n of nodes) {
          const r = await fetch(`${n.base}/readyz`, { client: n.client });
          const body = await r.json();
          assert.equal(r.status, 200, JSON.stringify(body));
          assert.deepEqual([body.store.kind, body.bus.kind], ["postgres", "nats"]);
          assert.equal((await fetch(`${n.base}/healthz`, { client: n.client })).status, 204);
        }
        // The store holds no private key in the clear.
        const store = await openStore(target);
        try {
          const sealed = await store.sealedKeys.get("ca");
          assert.ok(sealed && !sealed.includes("PRIVATE KEY"));
        } finally {
          await store.close();
        }
      });

      await t.step(
        "one token, 50 concurrent enrollments on both nodes: one certificate",
        async () => {
          const added = await addDevice(target, {
            id: "cam-race",
            ttlMs: 60_000,
            serverUrl: a.base,
          });
          assert.equal(added.caFingerprint, a.caFingerprint);
          const csrs = await Promise.all(
            Array.from({ length: 50 }, async () => createCsr(await generateDeviceKey(), "x")),
          );
          const statuses = await Promise.all(csrs.map(async (csr, i) => {
            const n = nodes[i % 2];
            const r = await fetch(`${n.base}/enroll`, {
              method: "POST",
              client: n.client,
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ token: added.token, csr }),
            });
            await r.body?.cancel();
            return r.status;
          }));
          assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses));
          assert.ok(statuses.every((s) => s === 201 || s === 409 || s === 429), String(statuses));
          const store = await openStore(target);
          try {
            const [dev] = (await store.devices.list()).filter((d) => d.id === "cam-race");
            assert.ok(dev.certNotAfter !== null, "exactly one certificate recorded");
          } finally {
            await store.close();
          }
        },
      );

      await t.step(
        "keys:rotate (an operator, elsewhere) reaches both nodes within 1 s",
        async () => {
          const store = await openStore(target);
          try {
            const kid = await rotateJwtKey(store, sealedKeySource(store, await loadKek(b.kekFile)));
            for (const n of nodes) {
              const ms = await until(
                `node ${n.ctx.nodeId} signs with ${kid}`,
                () => Promise.resolve(n.ctx.ring.current.kid === kid),
                1_000,
              );
              console.log(`node ${n.ctx.nodeId}: new key in use after ${ms.toFixed(0)} ms`);
            }
          } finally {
            await store.close();
          }
        },
      );

      await t.step("NATS down: /readyz 503 with the reason; back: 200", async () => {
        await b.nats.stop();
        await until("a not ready", async () => {
          const r = await fetch(`${a.base}/readyz`, { client: a.client });
          const body = await r.json();
          return r.status === 503 && /bus reconnecting/.test(body.bus.reason ?? "");
        }, 10_000);
        await b.nats.start();
        await until("a ready again", async () => {
          const r = await fetch(`${a.base}/readyz`, { client: a.client });
          await r.body?.cancel();
          return r.status === 200;
        }, 15_000);
      });

      await t.step("PostgreSQL down: /readyz 503 naming the store; back: 200", async () => {
        await b.pg.stop();
        await until("b not ready", async () => {
          const r = await fetch(`${bNode.base}/readyz`, { client: bNode.client });
          const body = await r.json();
          return r.status === 503 && /store unreachable/.test(body.store.reason ?? "");
        }, 10_000);
        assert.equal((await fetch(`${bNode.base}/healthz`, { client: bNode.client })).status, 204);
        await b.pg.start();
        await until("b ready again", async () => {
          const r = await fetch(`${bNode.base}/readyz`, { client: bNode.client });
          await r.body?.cancel();
          return r.status === 200;
        }, 15_000);
      });
    } finally {
      for (const n of nodes) await n.stop();
    }
  },
});
