import assert from "node:assert/strict";
import { type ManagedPeer, SessionManager } from "./session_manager.ts";

function fakeFactory() {
  const closers = new Map<string, (reason: string) => void>();
  const closed: string[] = [];
  let n = 0;
  return {
    closers,
    closed,
    createPeer: (sdp: string, onClose: (reason: string) => void): Promise<ManagedPeer> => {
      if (sdp === "bad") return Promise.reject(new Error("malformed"));
      const id = `p${n++}`;
      closers.set(id, onClose);
      return Promise.resolve({
        answerSdp: `answer-${id}`,
        addRemoteCandidates: () => Promise.resolve(1),
        restartIce: (frag: string) => {
          if (frag === "bad") {
            const err = new Error("needs a=ice-ufrag and a=ice-pwd");
            err.name = "RestartError";
            return Promise.reject(err);
          }
          if (frag === "busy") return Promise.reject(new Error("already in progress"));
          return Promise.resolve(`restarted-${id}`);
        },
        close: (reason?: string) => {
          closed.push(`${id}:${reason}`);
          return Promise.resolve();
        },
      });
    },
  };
}

Deno.test("SessionManager enforces the viewer limit and rejects duplicates", async () => {
  const f = fakeFactory();
  const m = new SessionManager({ createPeer: f.createPeer, maxViewers: 2 });
  assert.deepEqual(await m.offer("a", "x"), { ok: true, sdp: "answer-p0" });
  assert.equal((await m.offer("a", "x") as { status: number }).status, 400);
  assert.ok((await m.offer("b", "x")).ok);
  const r = await m.offer("c", "x");
  assert.equal(r.ok, false);
  assert.equal((r as { status: number }).status, 503);
  assert.equal((await m.offer("d", "bad") as { status: number }).status, 503); // still full
  await m.close("a");
  assert.equal((await m.offer("d", "bad") as { status: number }).status, 400);
  assert.equal(m.size, 1);
});

Deno.test("SessionManager reports peers that close by themselves, not server closes", async () => {
  const f = fakeFactory();
  const ended: string[] = [];
  const m = new SessionManager({
    createPeer: f.createPeer,
    onPeerClosed: (id, reason) => ended.push(`${id}:${reason}`),
  });
  await m.offer("s1", "x");
  await m.offer("s2", "x");
  f.closers.get("p0")!("no media delivered");
  await m.close("s2", "viewer left");
  assert.deepEqual(ended, ["s1:no media delivered"]);
  assert.deepEqual(f.closed, ["p1:viewer left"]);
  assert.equal(await m.candidate("s1", "a=candidate:…"), false);
  await m.closeAll();
  assert.equal((await m.offer("s3", "x") as { status: number }).status, 503);
});

Deno.test("SessionManager restarts ICE of live sessions only", async () => {
  const f = fakeFactory();
  const m = new SessionManager({ createPeer: f.createPeer });
  await m.offer("s1", "x");
  assert.deepEqual(await m.restart("s1", "a=ice-ufrag:…"), { ok: true, sdpfrag: "restarted-p0" });
  assert.deepEqual(await m.restart("nope", "a=ice-ufrag:…"), {
    ok: false,
    status: 404,
    message: "no such session",
  });
  const bad = await m.restart("s1", "bad");
  assert.equal(bad.ok, false);
  assert.equal((bad as { status: number }).status, 400);
  assert.match((bad as { message: string }).message, /ice-ufrag/);
  assert.equal((await m.restart("s1", "busy") as { status: number }).status, 409);
  await m.close("s1");
  assert.equal((await m.restart("s1", "a=ice-ufrag:…") as { status: number }).status, 404);
});
