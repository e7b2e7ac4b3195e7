import assert from "node:assert/strict";
import { createRootCa, issueServerCertificate, loadCa, writeSecretFile } from "../../../pki/mod.ts";
import { startHaproxy } from "./haproxy_server.ts";
import { ignoreUnlessInstalled } from "./requirements.ts";
import { freePort, serviceDir, type ServiceProcess, spawnService, waitReady } from "./service.ts";

const BACKEND = new URL("./_tiny_backend.ts", import.meta.url).pathname;

/** A tiny node in its own process (see _tiny_backend.ts), on `port`. */
async function startBackend(
  name: string,
  port: number,
  status: number,
  tls?: { dir: string },
): Promise<ServiceProcess> {
  const args = [
    "run",
    `--allow-net=127.0.0.1:${port}`,
    ...(tls ? [`--allow-read=${tls.dir}`] : []),
    BACKEND,
    name,
    String(port),
    String(status),
    ...(tls ? [`${tls.dir}/node.pem`, `${tls.dir}/node.key`] : []),
  ];
  const p = spawnService(Deno.execPath(), args);
  await waitReady(p, `backend ${name}`, () => p.output().includes(`listening ${name}`));
  return p;
}

/** Connects through the balancer, asks `who`, returns the answer (the connection stays open). */
async function who(port: number): Promise<{ name: string; conn: Deno.Conn }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode("who\n"));
  const buf = new Uint8Array(64);
  const n = await conn.read(buf);
  return { name: new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim(), conn };
}

async function whoOnce(port: number): Promise<string> {
  const { name, conn } = await who(port);
  conn.close();
  return name;
}

Deno.test({
  name: "haproxy: TCP passthrough to two nodes, failover when one dies",
  ignore: ignoreUnlessInstalled("haproxy"),
  fn: async (t) => {
    const [portA, portB] = [freePort(), freePort()];
    let a = await startBackend("A", portA, 200);
    const b = await startBackend("B", portB, 200);
    try {
      await using lb = await startHaproxy({
        listeners: [{
          name: "device",
          check: { kind: "tcp" },
          balance: "roundrobin",
          nodes: [
            { name: "a", host: "127.0.0.1", port: portA },
            { name: "b", host: "127.0.0.1", port: portB },
          ],
        }],
        checkIntervalMs: 200,
      });
      const port = lb.ports.device;
      await lb.waitForNode("device", "a", "UP");
      await lb.waitForNode("device", "b", "UP");

      await t.step("connections are spread over both nodes", async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add(await whoOnce(port));
        assert.deepEqual([...seen].sort(), ["A", "B"]);
      });

      await t.step("a node killed: its connection ends, new ones reach the other", async () => {
        let held = await who(port);
        if (held.name !== "A") {
          held.conn.close();
          held = await who(port);
        }
        assert.equal(held.name, "A");
        await a.stop("SIGKILL");
        const n = await held.conn.read(new Uint8Array(16)).catch(() => null);
        assert.equal(n, null, "the connection to the dead node must end");
        held.conn.close();
        // Redispatch: no client sees the dead node, even before the check marks it down.
        for (let i = 0; i < 6; i++) assert.equal(await whoOnce(port), "B");
        await lb.waitForNode("device", "a", "DOWN");
      });

      await t.step("the node back: the balancer uses it again", async () => {
        a = await startBackend("A", portA, 200);
        await lb.waitForNode("device", "a", "UP");
        const seen = new Set<string>();
        for (let i = 0; i < 4; i++) seen.add(await whoOnce(port));
        assert.ok(seen.has("A"), `expected A among ${[...seen]}`);
      });
    } finally {
      await a.stop("SIGKILL");
      await b.stop("SIGKILL");
    }
  },
});

Deno.test({
  name: "haproxy: an HTTP health check over TLS keeps an unready node out",
  ignore: ignoreUnlessInstalled("haproxy"),
  fn: async () => {
    const dir = await serviceDir("tls-backend");
    const nodes: ServiceProcess[] = [];
    try {
      const root = await createRootCa();
      const cert = await issueServerCertificate(await loadCa(root.certPem, root.keyPem), {
        dnsNames: ["localhost"],
        ipAddresses: ["127.0.0.1"],
      });
      await Deno.writeTextFile(`${dir}/node.pem`, cert.certPem);
      await writeSecretFile(`${dir}/node.key`, cert.keyPem);
      const [portA, portB] = [freePort(), freePort()];
      nodes.push(await startBackend("ready", portA, 200, { dir }));
      nodes.push(await startBackend("unready", portB, 503, { dir }));
      await using lb = await startHaproxy({
        listeners: [{
          name: "public",
          check: { kind: "http", path: "/readyz", tls: true },
          balance: "roundrobin",
          nodes: [
            { name: "a", host: "127.0.0.1", port: portA },
            { name: "b", host: "127.0.0.1", port: portB },
          ],
        }],
      }); // the default check interval (1 s): a check must fit a TLS handshake under load
      await lb.waitForNode("public", "a", "UP");
      await lb.waitForNode("public", "b", "DOWN");
      for (let i = 0; i < 4; i++) {
        // Passthrough: the TLS session is the node's own, verified against its CA.
        try {
          const conn = await Deno.connectTls({
            hostname: "127.0.0.1",
            port: lb.ports.public,
            caCerts: [root.certPem],
          });
          await conn.write(new TextEncoder().encode("who\n"));
          const buf = new Uint8Array(32);
          const n = await conn.read(buf);
          conn.close();
          assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim(), "ready");
        } catch (err) {
          const states = (await lb.stats()).map((r) => `${r.proxy}/${r.server} ${r.status}`);
          throw new Error(
            `connection ${i}: ${(err as Error).message}\n${states.join("\n")}\n` +
              `haproxy: ${lb.output()}\nready: ${nodes[0].output()}`,
          );
        }
      }
    } finally {
      for (const n of nodes) await n.stop("SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
