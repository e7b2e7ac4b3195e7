/**
 * The cluster as deployed: two real node processes (each with `serve`'s
 * computed flags) on one real PostgreSQL and NATS, behind a real HAProxy
 * doing TCP passthrough (mTLS ends at the nodes) for the public and the
 * device port, health-checked on `/readyz`. A real publisher enrolls through
 * the balancer and lands on one node; a viewer in Chromium on the other node
 * watches it; logout on the device's node ends the viewer's WHEP session;
 * SIGKILL of the device's node: the publisher reconnects through the balancer
 * within 5 s and the page plays again within 10 s without a click; a rolling
 * restart; `device:revoke` run with the other node's settings closes the
 * channel within 1 s.
 */
import assert from "node:assert/strict";
import { buildWeb } from "../../subscriber-web/build.ts";
import { addDevice, userAdd } from "../../signaling/admin/commands.ts";
import { enroll } from "../../publisher/device/enroll_client.ts";
import { NatsBus } from "../../signaling/bus/nats_bus.ts";
import { type PresenceMessage, topics } from "../../signaling/bus/topics.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { startBackends } from "../helpers/cluster/backends.ts";
import { startHaproxy } from "../helpers/cluster/haproxy_server.ts";
import { type NodeProcess, startNodeProcess } from "../helpers/cluster/node_process.ts";
import { ignoreUnlessInstalled } from "../helpers/cluster/requirements.ts";
import { freePort } from "../helpers/cluster/service.ts";
import { startLocalPublisher, stopProcess } from "../helpers/publisher_process.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { openStore } from "../../signaling/store/open.ts";
import { sharedCaCertificate } from "../../signaling/certs/shared_keys.ts";

const ignore = ignoreUnlessInstalled("postgres", "nats", "haproxy") || ignoreWithout(CHROMIUM);
const CAM = "lb-cam";

Deno.test({
  name: "cluster behind HAProxy: enroll, watch on the other node, logout, failover, revoke",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    await Deno.mkdir("tests/artifacts", { recursive: true });
    await using b = await startBackends();
    const webDir = await Deno.makeTempDir({ prefix: "vigil-web-" });
    await buildWeb({ outDir: webDir, minify: true });
    const ports = { a: [freePort(), freePort()], b: [freePort(), freePort()] };
    await using lb = await startHaproxy({
      checkIntervalMs: 500,
      listeners: ["public", "device"].map((name, i) => ({
        name,
        // Both ports are judged by the node's readiness (its public port).
        check: { kind: "http" as const, path: "/readyz", tls: true },
        balance: "leastconn" as const,
        nodes: (["a", "b"] as const).map((n) => ({
          name: n,
          host: "127.0.0.1",
          port: ports[n][i],
          checkPort: ports[n][0],
        })),
      })),
    });
    const cluster = [
      "--store",
      b.nodeSettings.store!,
      "--store-password-file",
      b.nodeSettings.storePasswordFile!,
      "--kek-file",
      b.kekFile,
      "--bus",
      b.nodeSettings.bus!,
      "--bus-password-file",
      b.nodeSettings.busPasswordFile!,
      "--advertise-device-port",
      String(lb.ports.device),
      "--san",
      "localhost",
    ];
    const nodes: Record<string, NodeProcess> = {};
    for (const id of ["a", "b"] as const) {
      nodes[id] = await startNodeProcess({
        nodeId: id,
        args: cluster,
        webDir,
        publicPort: ports[id][0],
        devicePort: ports[id][1],
      });
    }
    const watcher = await NatsBus.connect({
      servers: b.nats.url,
      user: b.nats.user,
      password: b.nats.password,
    });
    const seen: (PresenceMessage & { at: number })[] = [];
    watcher.subscribe(topics.presence, (p) => seen.push({ ...p, at: performance.now() }));
    const holder = () => {
      const last = seen.filter((p) => p.id === CAM).at(-1);
      return last?.online ? last.node : undefined;
    };
    const waitHolder = async (not: string | undefined, ms: number) => {
      const t0 = performance.now();
      while (!holder() || holder() === not) {
        if (performance.now() - t0 > ms) throw new Error(`no node holds ${CAM} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return { node: holder()!, ms: performance.now() - t0 };
    };
    const target = {
      dataDir: nodes.a.dataDir,
      store: b.pg.url,
      storePasswordFile: b.pg.passwordFile,
    };
    const stateDir = await Deno.makeTempDir({ prefix: "vigil-lb-dev-" });
    let publisher: Deno.ChildProcess | null = null;
    const browser = await launchChromium();
    try {
      await lb.waitForNode("public", "a", "UP", 15_000);
      await lb.waitForNode("public", "b", "UP", 15_000);
      const viaLb = `https://localhost:${lb.ports.public}`;

      let x = "";
      let y = "";
      await t.step("enroll through the balancer; the publisher lands on one node", async () => {
        const added = await addDevice(target, { id: CAM, ttlMs: 60_000, serverUrl: viaLb });
        const r = await enroll({
          serverUrl: viaLb,
          token: added.token,
          caFingerprint: added.caFingerprint,
          stateDir,
          force: false,
        });
        assert.equal(
          "devicePort" in r && r.devicePort,
          lb.ports.device,
          "told the balancer's port",
        );
        publisher = await startLocalPublisher(stateDir, {
          logFile: "tests/artifacts/cluster-publisher.log",
        });
        watcher.publish(topics.presenceSync, { node: "test" });
        x = (await waitHolder(undefined, 10_000)).node;
        y = x === "a" ? "b" : "a";
        console.log(`publisher on node ${x}; viewer on node ${y}`);
      });

      await userAdd(target, { name: "lbviewer", password: "lbviewer-password-1", cameras: [CAM] });
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const frames = () =>
        page.evaluate(() =>
          (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil
            ?.framesDecoded ??
            0
        );
      const state = () =>
        page.evaluate(() =>
          (globalThis as unknown as { __vigil: { state: string } }).__vigil?.state ?? ""
        );
      const playing = async (more: number, timeout: number) => {
        const from = await frames();
        await page.waitForFunction(
          (n) => {
            const v =
              (globalThis as unknown as { __vigil: { state: string; framesDecoded: number } })
                .__vigil;
            return v?.state === "playing" && v.framesDecoded > n;
          },
          from + more,
          { timeout },
        );
      };
      const login = async () => {
        await page.goto(`https://localhost:${nodes[y].publicPort}/`);
        await page.getByTestId("username").fill("lbviewer");
        await page.getByTestId("password").fill("lbviewer-password-1");
        await page.getByTestId("login-submit").click();
        await page.locator(`[data-testid="camera-${CAM}"][data-online="true"]`).waitFor({
          timeout: 15_000,
        });
        await page.getByTestId(`camera-${CAM}`).locator("a").click();
      };

      await t.step("a viewer logged in on the other node watches it in Chromium", async () => {
        await login();
        await playing(30, 30_000);
      });

      await t.step(
        "logout on the device's node ends the WHEP session on the viewer's",
        async () => {
          const cookie = (await context.cookies()).find((c) => c.httpOnly);
          assert.ok(cookie, "the refresh cookie");
          const client = Deno.createHttpClient({ caCerts: [await caPem(target)] });
          const t0 = performance.now();
          const r = await fetch(`https://localhost:${nodes[x].publicPort}/auth/logout`, {
            method: "POST",
            headers: { cookie: `${cookie.name}=${cookie.value}` },
            client,
          });
          client.close();
          assert.equal(r.status, 204);
          await page.waitForFunction(
            () =>
              (globalThis as unknown as { __vigil: { state: string } }).__vigil?.state !==
                "playing",
            null,
            { timeout: 5_000 },
          );
          console.log(
            `viewer on ${y} stopped ${
              (performance.now() - t0).toFixed(0)
            } ms after logout on ${x} (state ${await state()})`,
          );
        },
      );

      await t.step(
        "SIGKILL the device's node: publisher back within 5 s, page within 10 s",
        async () => {
          await login();
          await playing(30, 30_000);
          const t0 = performance.now();
          await nodes[x].kill();
          const moved = await waitHolder(x, 5_000);
          assert.equal(moved.node, y);
          console.log(
            `publisher reconnected to ${y} ${
              (performance.now() - t0).toFixed(0)
            } ms after SIGKILL of ${x}`,
          );
          await playing(30, Math.max(1_000, 10_000 - (performance.now() - t0)));
          console.log(`page playing again ${(performance.now() - t0).toFixed(0)} ms after SIGKILL`);
          await nodes[x].start();
          await lb.waitForNode("device", x, "UP", 15_000);
        },
      );

      await t.step("rolling restart: no camera offline for more than 5 s", async () => {
        for (const n of [y, x]) {
          const before = holder();
          const t0 = performance.now();
          await nodes[n].stop();
          if (before === n) await waitHolder(n, 5_000);
          await nodes[n].start();
          await lb.waitForNode("device", n, "UP", 15_000);
          console.log(
            `restarted ${n} (held it: ${before === n}); camera on ${holder()} after ${
              (performance.now() - t0).toFixed(0)
            } ms`,
          );
          assert.ok(holder(), "the camera is online");
        }
      });

      await t.step(
        "NATS, then PostgreSQL unreachable: nodes stay up, unready, recover",
        async () => {
          const client = Deno.createHttpClient({ caCerts: [await caPem(target)] });
          const readyz = async (n: NodeProcess) => {
            const r = await fetch(`https://localhost:${n.publicPort}/readyz`, { client });
            return { status: r.status, body: await r.json() };
          };
          const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
            const t0 = performance.now();
            while (!(await ok())) {
              if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
              await new Promise((r) => setTimeout(r, 100));
            }
            return performance.now() - t0;
          };
          try {
            for (
              const [name, svc, reason] of [
                ["NATS", b.nats, /bus reconnecting/],
                ["PostgreSQL", b.pg, /store unreachable/],
              ] as const
            ) {
              await svc.stop();
              for (const n of Object.values(nodes)) {
                await until(`${n.nodeId} unready without ${name}`, async () => {
                  const r = await readyz(n);
                  return r.status === 503 && reason.test(JSON.stringify(r.body));
                }, 10_000);
              }
              await new Promise((r) => setTimeout(r, 2_000)); // an outage, not a blip
              await svc.start();
              for (const n of Object.values(nodes)) {
                const ms = await until(
                  `${n.nodeId} ready after ${name}`,
                  async () => (await readyz(n)).status === 200,
                  20_000,
                );
                console.log(`node ${n.nodeId} ready ${ms.toFixed(0)} ms after ${name} came back`);
                await lb.waitForNode("device", n.nodeId, "UP", 15_000);
              }
            }
            for (const n of Object.values(nodes)) {
              assert.equal(n.crashes, 0, `node ${n.nodeId} crashed:\n${n.output().slice(-2000)}`);
              const out = n.output();
              assert.match(out, /bus: lost NATS/);
              assert.match(out, /not ready: .*store unreachable/);
              assert.ok(
                (out.match(/revocation: cannot read the store/g) ?? []).length <= 1,
                "one line per outage",
              );
            }
            // The publisher's channel survived both; its presence is announced again.
            const before = seen.length;
            watcher.publish(topics.presenceSync, { node: "test" });
            await until(
              "a fresh presence announcement over the restarted bus",
              () => Promise.resolve(seen.slice(before).some((p) => p.id === CAM && p.online)),
              10_000,
            );
          } finally {
            client.close();
          }
        },
      );

      await t.step(
        "device:revoke with the other node's settings closes the channel within 1 s",
        async () => {
          const on = holder()!;
          const other = on === "a" ? nodes.b : nodes.a;
          const t0 = performance.now();
          const out = await new Deno.Command("deno", {
            args: [
              "task",
              "device:revoke",
              CAM,
              "--data-dir",
              other.dataDir,
              "--store",
              b.pg.url,
              "--store-password-file",
              b.pg.passwordFile,
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          const done = performance.now();
          assert.ok(out.success, new TextDecoder().decode(out.stderr));
          while (holder()) {
            if (performance.now() - done > 1_000) {
              throw new Error(
                `channel not closed within 1 s; presence seen: ${JSON.stringify(seen.slice(-4))}\n${
                  Object.values(nodes).map((n) => `--- ${n.nodeId}\n${n.output().slice(-1500)}`)
                    .join("\n")
                }`,
              );
            }
            await new Promise((r) => setTimeout(r, 10));
          }
          console.log(
            `channel on ${on} closed ${
              (performance.now() - done).toFixed(0)
            } ms after device:revoke returned (command took ${(done - t0).toFixed(0)} ms)`,
          );
        },
      );
      await context.close();
    } catch (err) {
      for (const n of Object.values(nodes)) {
        console.error(`--- node ${n.nodeId} ---\n${n.output().slice(-3000)}`);
      }
      throw err;
    } finally {
      await browser.close();
      if (publisher) await stopProcess(publisher);
      await watcher.close();
      for (const n of Object.values(nodes)) await n.close();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      await Deno.remove(webDir, { recursive: true }).catch(() => {});
    }
  },
});

/** The cluster's CA certificate (public, in the store). */
async function caPem(target: Parameters<typeof openStore>[0]): Promise<string> {
  const store = await openStore(target);
  try {
    return (await sharedCaCertificate(store))!;
  } finally {
    await store.close();
  }
}
