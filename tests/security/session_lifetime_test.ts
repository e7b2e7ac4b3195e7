/**
 * Finding F-1 (fixed): an established WHEP session must not outlive the
 * viewer's authorization. Logout, refresh-token reuse, user:remove and
 * user:passwd revoke the login family and close its live sessions at the
 * publisher (signaling/sessions/viewing.ts).
 */
import assert from "node:assert/strict";
import { userRemove } from "../../signaling/admin/commands.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";
import { ScriptedPublisher, VALID_OFFER } from "./helpers.ts";

Deno.test({
  name: "F-1: ending a viewer's session (logout, user:remove) closes its live WHEP sessions",
  fn: async (t) => {
    const s = await startTestServer();
    const dev = await enrollDevice(s, "cam-l");
    const pub = await ScriptedPublisher.connect(dev);
    try {
      const open = async (token: string) => {
        const res = await fetch(`${s.base}/whep/cam-l`, {
          method: "POST",
          client: s.client,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/sdp" },
          body: VALID_OFFER,
        });
        assert.equal(res.status, 201);
        await res.body?.cancel();
        return pub.offers().at(-1)!.sessionId as string;
      };

      await t.step("logout → the publisher is told to close the session", async () => {
        const v = await loginViewer(s, "leaver", ["cam-l"]);
        const sid = await open(v.token);
        const out = await fetch(`${s.base}/auth/logout`, {
          method: "POST",
          client: s.client,
          headers: { cookie: v.cookie },
        });
        assert.equal(out.status, 204);
        await out.body?.cancel();
        await pub.waitFor((f) => f.type === "close" && f.sessionId === sid, 2000);
      });

      await t.step("user:remove → the publisher is told to close the session", async () => {
        const v = await loginViewer(s, "removed", ["cam-l"]);
        const sid = await open(v.token);
        await userRemove(s.dataDir, "removed");
        await pub.waitFor((f) => f.type === "close" && f.sessionId === sid, 2000);
      });
    } finally {
      await pub.close();
      dev.client.close();
      await s.stop();
    }
  },
});
