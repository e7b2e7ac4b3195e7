/**
 * The viewer repairs a broken network path by itself (issue 14): vigil's
 * viewer in headless Chromium on the home LAN plays the home camera over a
 * direct host pair; then the path breaks (iptables in the viewer's namespace
 * drops the UDP port Chromium's selected pair uses, as when a NAT mapping or
 * a Wi-Fi link goes away). Chromium's ICE goes `disconnected`; the viewer
 * restarts ICE through the WHEP session (PATCH, `If-Match: "*"`), gathers
 * on new ports and video resumes in the same session: same session URL, no
 * new session (the viewer would open one if video did not resume within
 * its 5 s restart timeout), one `session.ice_restart` in the audit log.
 *
 * Recovery time (from the break to the first new frame) is printed, not
 * asserted.
 */
import assert from "node:assert/strict";
import { CHROMIUM } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { buildTopology, natTestIgnore } from "./_topology.ts";
import { type Deployment, startDeployment } from "./_vigil.ts";

const ignore = natTestIgnore() || ignoreWithout(CHROMIUM);
const ARTIFACTS = "tests/artifacts/nat";

/** Polls `fn` until it returns a truthy value or `ms` pass. */
async function until<T>(fn: () => Promise<T>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await fn();
  while (!last) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await fn();
  }
  return last;
}

type Diagnostics = {
  framesDecoded: number;
  sessionUrl: string | null;
  reconnects: number;
  iceRestarts: number;
  state: string;
};

Deno.test({
  name: "viewer: a broken path is repaired with an ICE restart, video resumes in the same session",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const topo = await buildTopology();
  let vigil: Deployment | null = null;
  try {
    vigil = await startDeployment(topo, { artifacts: ARTIFACTS });
    await vigil.startPublisher(["192.168.1.0/24"]);
    const viewer = await vigil.openViewer("homeV");
    const diag = () =>
      viewer.page.evaluate(() => (globalThis as unknown as { __vigil: Diagnostics }).__vigil).then((
        d,
      ) => ({ ...d }));
    await until(async () => (await diag()).framesDecoded > 30, 30_000, "30 frames at home");
    const before = await diag();
    const { selected } = await viewer.peers();
    assert.ok(selected, "a selected pair");
    const port = selected.localAddress.split(":").at(-1)!;

    // The path breaks: Chromium's socket of the selected pair no longer gets through.
    for (const chain of [["INPUT", "--dport"], ["OUTPUT", "--sport"]]) {
      const r = await topo.run("homeV", "iptables", [
        "-I",
        chain[0],
        "-p",
        "udp",
        chain[1],
        port,
        "-j",
        "DROP",
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    const brokeAt = Date.now();
    const framesAtBreak = (await diag()).framesDecoded;
    await until(async () => (await diag()).iceRestarts >= 1, 15_000, "an ICE restart");
    const restartedAt = Date.now();
    await until(
      async () => (await diag()).framesDecoded > framesAtBreak + 1,
      15_000,
      "frames after the restart",
    );
    const resumedAt = Date.now();
    await until(
      async () => (await diag()).framesDecoded > framesAtBreak + 30,
      15_000,
      "30 frames after the restart",
    );
    const after = await diag();
    console.log(
      `path broken → ICE restart in ${restartedAt - brokeAt} ms, video again after ${
        resumedAt - brokeAt
      } ms (${after.framesDecoded - framesAtBreak} frames since)`,
    );
    assert.equal(after.sessionUrl, before.sessionUrl, "the same WHEP session");
    assert.equal(after.reconnects, 0, "no new session");
    assert.equal(after.state, "playing");
    const now = (await viewer.peers()).selected;
    assert.ok(now && now.localAddress.split(":").at(-1) !== port, JSON.stringify(now));

    const audit = await Deno.readTextFile(`${vigil.dataDir}/audit.log`);
    const restarts = audit.split("\n").filter((l) => l.includes('"event":"session.ice_restart"'));
    assert.equal(restarts.length, after.iceRestarts);
    assert.ok(audit.includes('"event":"session.connected"'));
    await viewer.page.screenshot({ path: `${ARTIFACTS}/ice-restart.png` });
    await viewer.close();
  } finally {
    await vigil?.stop();
    await topo.destroy();
  }
});
