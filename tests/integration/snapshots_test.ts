/**
 * Camera-list snapshots from a camera that does not record: the real
 * publisher process, started by the `publish` launcher with `--snapshots 1`
 * and no `--record` (so its computed flags grant ffmpeg for this alone),
 * sends JPEGs of its keyframes; a viewer gets one from
 * `GET /api/cameras/<id>/snapshot`.
 */
import assert from "node:assert/strict";
import { assertBinaries, ignoreWithout } from "../../publisher/sources/_needs_binary.ts";
import { enrollInto, loginViewer, startTestServer } from "../helpers/server.ts";
import { startLocalPublisher, stopProcess } from "../helpers/publisher_process.ts";

Deno.test({
  name: "snapshots without recording: the publisher's JPEG reaches the camera list",
  ignore: ignoreWithout("ffmpeg"),
  sanitizeResources: false,
  fn: async () => {
    assertBinaries("ffmpeg");
    const s = await startTestServer();
    const stateDir = await Deno.makeTempDir({ prefix: "vigil-snap-dev-" });
    let publisher: Deno.ChildProcess | null = null;
    try {
      await enrollInto(s, "porch", stateDir, "Porch");
      await Deno.mkdir("tests/artifacts", { recursive: true });
      publisher = await startLocalPublisher(stateDir, {
        logFile: "tests/artifacts/snapshots-publisher.log",
        extra: ["--snapshots", "1"],
      });
      const viewer = await loginViewer(s, "alice", ["porch"]);
      const deadline = Date.now() + 20_000;
      let jpeg: Uint8Array | null = null;
      while (!jpeg && Date.now() < deadline) {
        const res = await fetch(`${s.base}/api/cameras/porch/snapshot`, {
          client: s.client,
          headers: { authorization: `Bearer ${viewer.token}` },
        });
        if (res.status === 200) {
          assert.equal(res.headers.get("content-type"), "image/jpeg");
          jpeg = new Uint8Array(await res.arrayBuffer());
        } else {
          await res.body?.cancel();
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      assert.ok(jpeg, "no snapshot within 20 s");
      assert.deepEqual([...jpeg.slice(0, 3)], [0xff, 0xd8, 0xff], "a JPEG");
      assert.ok(jpeg.length > 1000, `${jpeg.length} bytes`);
      console.log(`snapshot without recording: ${jpeg.length} bytes`);
    } finally {
      if (publisher) await stopProcess(publisher);
      await s.stop();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
