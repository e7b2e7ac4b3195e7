/**
 * Supervision on the real process tree: the publisher (synthetic source)
 * runs ffmpeg as its child; when ffmpeg is killed a new ffmpeg is started and
 * the publisher stays up and online. Needs ffmpeg (a failure under CI=true).
 */
import assert from "node:assert/strict";
import { loginViewer } from "../helpers/server.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { childrenOf, procInfo, sleep, startPublisherRig } from "./publisher_fixture.ts";

const ignore = ignoreWithout("ffmpeg");

async function ffmpegChildren(pid: number): Promise<number[]> {
  return (await childrenOf(pid)).filter((p) => /(^|\/)ffmpeg$/.test(p.cmdline[0] ?? "")).map((
    p,
  ) => p.pid);
}

async function waitFor<T>(what: string, f: () => Promise<T | null>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== null) return v;
    await sleep(50);
  }
  throw new Error(`timeout: ${what}`);
}

Deno.test({
  name: "publisher restarts a killed ffmpeg source and stays online",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const rig = await startPublisherRig({ deviceId: "synth-cam", source: "synthetic" });
  try {
    const viewer = await loginViewer(rig.server, "watcher", ["synth-cam"]);
    const online = async () => {
      const res = await fetch(`${rig.server.base}/api/cameras`, {
        client: rig.server.client,
        headers: { authorization: `Bearer ${viewer.token}` },
      });
      const { cameras } = await res.json();
      return cameras.find((c: { id: string }) => c.id === "synth-cam")?.online === true;
    };
    assert.ok(await online(), "camera not online at start");
    const pid = await rig.publisherPid();
    const first = await waitFor("ffmpeg child", async () => {
      const c = await ffmpegChildren(pid);
      return c.length === 1 ? c[0] : null;
    });
    console.log(`publisher ${pid}, ffmpeg ${first}`);

    const from = rig.log().length;
    Deno.kill(first, "SIGKILL");
    await waitFor("old ffmpeg gone", async () => (await procInfo(first)) ? null : true);
    const second = await waitFor("a new ffmpeg child", async () => {
      const c = (await ffmpegChildren(pid)).filter((p) => p !== first);
      return c.length === 1 ? c[0] : null;
    });
    console.log(`restarted: ffmpeg ${second}`);
    assert.notEqual(second, first);
    const m = await rig.waitForLog(/source synthetic exited; restarting[^}]*}/, 5_000, from);
    console.log(`publisher: ${m[0]}`);
    assert.match(m[0], /SIGKILL/);

    // The publisher itself survived, kept its channel, and is online.
    await sleep(1000);
    assert.ok(await procInfo(pid), "publisher process died");
    assert.equal(await rig.publisherPid(), pid);
    assert.ok(await procInfo(second), "restarted ffmpeg died again");
    assert.ok(await online(), "camera offline after the source restart");
    assert.doesNotMatch(rig.log().slice(from), /channel: .*reconnecting/);
  } finally {
    await rig.stop();
  }
});
