/**
 * vigil across real NATs (tests/nat/_topology.ts): the server in "public",
 * the camera at "home" behind a NAT router, viewers in headless Chromium on
 * the home LAN and on "mobile" behind a symmetric NAT.
 *
 * With today's configuration (no STUN/TURN):
 * (1) the mobile viewer's WHEP exchange succeeds, yet no media path exists:
 *     ICE never connects, no frame is decoded;
 * (3) a viewer on the home LAN connects directly (host candidates on both
 *     sides, no relay) and decodes frames.
 *
 * With STUN only (both sides learn their public addresses), the symmetric
 * NAT still defeats hole punching, while the same setup with a cone NAT in
 * its place connects server-reflexive: the NAT type, not the setup, is what
 * blocks.
 *
 * (2) TURN relay with frames: a prototype for the TURN integration, with
 * one long-lived TURN REST credential handed to the publisher through the
 * server's `iceServers` (device `welcome`) and to the viewer page as an
 * RTCConfiguration (what the viewer will fetch from the server).
 */
import assert from "node:assert/strict";
import { mintTurnCredential } from "../../signaling/turn/credentials.ts";
import { CHROMIUM } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { startCoturn } from "./_coturn.ts";
import { ADDR, buildTopology, natTestIgnore, type Topology } from "./_topology.ts";
import { type Deployment, startDeployment, type Viewer } from "./_vigil.ts";

const ignore = natTestIgnore() || ignoreWithout(CHROMIUM, "turnserver");
const ARTIFACTS = "tests/artifacts/nat";
const HOME_LAN = "192.168.1.0/24";

/** Polls `fn` until it returns a truthy value or `ms` pass. */
async function until<T>(fn: () => Promise<T>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await fn();
  while (!last) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
    last = await fn();
  }
  return last;
}

async function withWorld(
  fn: (topo: Topology) => Promise<void>,
  o: { mobileNat?: "symmetric" | "cone" } = {},
): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const topo = await buildTopology(o);
  try {
    await fn(topo);
  } finally {
    await topo.destroy();
  }
}

Deno.test({
  name: "NAT: without TURN the mobile viewer gets no video; a home viewer connects directly",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, () =>
  withWorld(async (topo) => {
    let vigil: Deployment | null = null;
    try {
      vigil = await startDeployment(topo, { artifacts: ARTIFACTS });
      await vigil.startPublisher([HOME_LAN]);
      const d = vigil;

      await (async () => {
        // (1) mobile, behind a symmetric NAT, no ICE servers.
        const viewer: Viewer = await d.openViewer("mobile");
        try {
          const url = await until(() => viewer.sessionUrl(), 20_000, "the WHEP session");
          assert.match(url ?? "", /^\/whep\//);
          await new Promise((r) => setTimeout(r, 12_000));
          const report = await viewer.peers();
          assert.equal(await viewer.frames(), 0, "no frame may arrive without a media path");
          assert.equal(report.everConnected, false, JSON.stringify(report));
          assert.ok(report.sessions >= 1);
          await viewer.page.screenshot({ path: `${ARTIFACTS}/mobile-no-turn.png` });
        } finally {
          await viewer.close();
        }
      })();

      await (async () => {
        // (3) on the home LAN: host-to-host, no relay.
        const viewer = await d.openViewer("homeV");
        try {
          await until(
            async () => (await viewer.frames()) > 30,
            30_000,
            "30 decoded frames at home",
          );
          const { selected } = await viewer.peers();
          assert.ok(selected, "a selected candidate pair");
          assert.equal(selected.remote, "host", JSON.stringify(selected));
          assert.equal(selected.remoteAddress.split(":")[0], ADDR.home);
          assert.notEqual(selected.local, "relay");
          await viewer.page.screenshot({ path: `${ARTIFACTS}/home-direct.png` });
        } finally {
          await viewer.close();
        }
      })();
    } finally {
      await vigil?.stop();
    }
  }));

Deno.test({
  name: "NAT (prototype): with coturn the mobile viewer plays over a relay",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, () =>
  withWorld(async (topo) => {
    const dir = await Deno.makeTempDir({ prefix: "vigil-nat-turn-" });
    let vigil: Deployment | null = null;
    const turn = await startCoturn(topo, { dir });
    try {
      const cred = await mintTurnCredential(turn.secret, { ttlMs: 3_600_000 });
      const iceServers = [{
        urls: [`turn:${turn.address}?transport=udp`],
        username: cred.username,
        credential: cred.credential,
      }];
      vigil = await startDeployment(topo, { artifacts: ARTIFACTS, iceServers });
      // The publisher must be allowed to reach the TURN server (its relay candidates live there).
      await vigil.startPublisher([HOME_LAN, ADDR.pub]);
      const viewer = await vigil.openViewer("mobile", { rtcConfiguration: { iceServers } });
      await until(async () => (await viewer.frames()) > 30, 40_000, "30 decoded frames via TURN");
      const { selected } = await viewer.peers();
      console.log(`mobile via TURN: selected pair ${JSON.stringify(selected)}`);
      assert.ok(selected, "a selected candidate pair");
      assert.ok(
        selected.local === "relay" || selected.remote === "relay",
        `the pair must use the relay: ${JSON.stringify(selected)}`,
      );
      await viewer.page.screenshot({ path: `${ARTIFACTS}/mobile-turn.png` });
      await viewer.close();
    } finally {
      await vigil?.stop();
      await turn.stop();
      await Deno.remove(dir, { recursive: true });
    }
  }));

/** Both sides get coturn as a STUN server; the publisher may send to the whole internet range. */
async function stunOnly(
  topo: Topology,
): Promise<{ vigil: Deployment; viewer: Viewer; stop(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-nat-stun-" });
  const turn = await startCoturn(topo, { dir });
  const iceServers = [{ urls: [`stun:${turn.address}`] }];
  let vigil: Deployment | null = null;
  const stop = async () => {
    await vigil?.stop();
    await turn.stop();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    vigil = await startDeployment(topo, { artifacts: ARTIFACTS, iceServers });
    // Viewers' public addresses are unknown in advance: direct paths need the whole range.
    await vigil.startPublisher([HOME_LAN, "203.0.113.0/24"]);
    const viewer = await vigil.openViewer("mobile", { rtcConfiguration: { iceServers } });
    return { vigil, viewer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

Deno.test({
  name: "NAT: with STUN only, the symmetric NAT blocks; a cone NAT in its place connects srflx",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  await t.step("symmetric NAT: WHEP succeeds, ICE never connects", () =>
    withWorld(async (topo) => {
      const w = await stunOnly(topo);
      try {
        await until(() => w.viewer.sessionUrl(), 20_000, "the WHEP session");
        await new Promise((r) => setTimeout(r, 12_000));
        const report = await w.viewer.peers();
        assert.equal(await w.viewer.frames(), 0);
        assert.equal(report.everConnected, false, JSON.stringify(report));
      } finally {
        await w.stop();
      }
    }, { mobileNat: "symmetric" }));

  await t.step(
    "cone NAT (control): the same setup plays over server-reflexive candidates",
    () =>
      withWorld(async (topo) => {
        const w = await stunOnly(topo);
        try {
          await until(async () => (await w.viewer.frames()) > 30, 30_000, "30 frames via srflx");
          const { selected } = await w.viewer.peers();
          console.log(`cone NAT, STUN only: selected pair ${JSON.stringify(selected)}`);
          assert.ok(selected);
          assert.ok(!["relay", "host"].includes(selected.remote), JSON.stringify(selected));
          assert.equal(selected.remoteAddress.split(":")[0], ADDR.homeWan);
        } finally {
          await w.stop();
        }
      }, { mobileNat: "cone" }),
  );
});
