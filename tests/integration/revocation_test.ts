/**
 * `device:revoke` from another connection (as the operator CLI does) closes
 * the device's live channel and marks its camera offline.
 */
import assert from "node:assert/strict";
import { deviceRevoke } from "../../signaling/admin/commands.ts";
import { connectPublisher } from "../helpers/scripted_publisher.ts";
import { enrollDevice, startTestServer } from "../helpers/server.ts";

Deno.test("revocation closes a live device channel promptly", async () => {
  const s = await startTestServer();
  const dev = await enrollDevice(s, "cam-r");
  try {
    const pub = await connectPublisher(dev);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.ctx.presence.get("cam-r")?.online, true);
    const closed = new Promise<number>((resolve) =>
      pub.ws.addEventListener("close", () => resolve(Date.now()))
    );
    const t0 = Date.now();
    await deviceRevoke(s.dataDir, "cam-r");
    const deadline = new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error("not closed within 1.5 s")), 1500)
    );
    const at = await Promise.race([closed, deadline]);
    console.log(`channel closed ${at - t0} ms after revocation`);
    assert.equal(s.ctx.presence.get("cam-r")?.online, false);
    const log = await Deno.readTextFile(`${s.dataDir}/audit.log`);
    assert.match(log, /"event":"revocation.enforced"/);
    assert.match(log, /"event":"device.revoked"/);
  } finally {
    dev.client.close();
    await s.stop();
  }
});
