import assert from "node:assert/strict";
import { defaultTurnSecretPath, IceService } from "./ice_service.ts";
import { turnPassword } from "./credentials.ts";

const SECRET = "ice-service-test-secret-0123456789abcdef";
const base = {
  dataDir: "/nonexistent",
  turnSecretFile: null,
  turnTtlMs: 60_000,
  iceServers: [] as { urls: string[]; username?: string; credential?: string }[],
};

Deno.test("IceService", async (t) => {
  await t.step("nothing configured: empty lists, no secret needed", async () => {
    const s = await IceService.load({ ...base, iceServerUrls: [] });
    assert.equal(s.configured, false);
    assert.deepEqual(s.announced(), []);
    assert.deepEqual(await s.forSession(), { iceServers: [], expiresAt: null });
  });
  await t.step("STUN only: no secret read, URLs canonical", async () => {
    const s = await IceService.load({ ...base, iceServerUrls: ["stun:Stun.Example.com"] });
    assert.deepEqual(s.announced(), [{ urls: ["stun:stun.example.com:3478"] }]);
    assert.deepEqual((await s.forSession()).iceServers, [{ urls: ["stun:stun.example.com:3478"] }]);
  });
  await t.step(
    "TURN: a new credential per call, fixed entries after, welcome without any",
    async () => {
      const s = new IceService({
        urls: [{
          scheme: "turn",
          host: "t.example",
          port: 3478,
          transport: "udp",
          href: "turn:t.example:3478?transport=udp",
        }],
        secret: SECRET,
        ttlMs: 60_000,
        fixed: [{ urls: ["turn:other.example:3478"], username: "u", credential: "c" }],
      });
      const a = await s.forSession();
      const b = await s.forSession();
      assert.notEqual(a.iceServers[0].username, b.iceServers[0].username);
      assert.equal(
        a.iceServers[0].credential,
        await turnPassword(SECRET, a.iceServers[0].username!),
      );
      assert.deepEqual(a.iceServers[1], {
        urls: ["turn:other.example:3478"],
        username: "u",
        credential: "c",
      });
      assert.deepEqual(s.announced(), [{
        urls: ["turn:t.example:3478?transport=udp", "turn:other.example:3478"],
      }]);
    },
  );
  await t.step("turn: URLs without a secret are refused", () => {
    assert.throws(
      () =>
        new IceService({
          urls: [{ scheme: "turn", host: "t.example", port: 3478, transport: "udp", href: "x" }],
          secret: null,
          ttlMs: 60_000,
        }),
      /need the TURN secret/,
    );
  });
  await t.step("a readable secret file is refused at load", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/s`, SECRET, { mode: 0o644 });
      await Deno.chmod(`${dir}/s`, 0o644);
      await assert.rejects(
        IceService.load({ ...base, iceServerUrls: ["turn:t.example"], turnSecretFile: `${dir}/s` }),
        /readable by others/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("default secret path", () => {
    assert.equal(defaultTurnSecretPath("/srv/vigil"), "/srv/vigil/turn/secret");
  });
});
