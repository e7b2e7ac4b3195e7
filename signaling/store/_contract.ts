/**
 * One contract, every store: the same cases run against each implementation
 * (`sqlite_test.ts`, `postgres_test.ts` against a real PostgreSQL).
 * A fixture opens independent handles on one database (two processes or
 * nodes in production), so the exactly-once and reuse guarantees are tested
 * across connections, not inside one.
 */
import assert from "node:assert/strict";
import type { Store } from "./store.ts";

/** Independent handles on one fresh database. */
export interface StoreFixture {
  /** A new handle (connection or pool) on the fixture's database. */
  open(): Promise<Store>;
  /** Removes the database. */
  cleanup(): Promise<void>;
}

const hash = () => crypto.randomUUID().replaceAll("-", "").padEnd(64, "0");

/** Registers the store contract for one implementation. */
export function storeContract(name: string, make: () => Promise<StoreFixture>, ignore = false) {
  Deno.test({
    name: `store contract (${name})`,
    ignore,
    fn: async (t) => {
      const f = await make();
      const a = await f.open();
      const b = await f.open();
      const now = Date.now();
      try {
        await t.step("devices: add with a token, list, exists, active", async () => {
          const h = hash();
          await a.devices.addWithToken({ id: "door", label: "Door" }, {
            hash: h,
            expiresAt: now + 60_000,
          }, now);
          assert.equal(await b.devices.exists("door"), true);
          assert.equal(await b.devices.isActive("door"), true);
          assert.equal(await b.devices.exists("nope"), false);
          const [d] = await b.devices.list();
          assert.deepEqual(d, {
            id: "door",
            label: "Door",
            createdAt: now,
            revokedAt: null,
            certNotAfter: null,
            pendingTokenExpiresAt: now + 60_000,
          });
          assert.equal(typeof d.createdAt, "number", "BIGINT ms come back as numbers");
        });

        await t.step("enrollment tokens: refusals say why and change nothing", async () => {
          assert.deepEqual(await a.devices.consumeToken(hash(), now), { refused: "unknown" });
          const expired = hash();
          await a.devices.addWithToken({ id: "late", label: "" }, {
            hash: expired,
            expiresAt: now - 1,
          }, now - 10);
          assert.deepEqual(await b.devices.consumeToken(expired, now), { refused: "expired" });
          // A new token supersedes the earlier unused one; an empty label keeps the old.
          const fresh = hash();
          await a.devices.addWithToken({ id: "late", label: "Late" }, {
            hash: fresh,
            expiresAt: now + 60_000,
          }, now);
          await a.devices.addWithToken({ id: "late", label: "" }, {
            hash: hash(),
            expiresAt: now + 60_000,
          }, now);
          assert.deepEqual(await b.devices.consumeToken(fresh, now), { refused: "unknown" });
          assert.equal((await a.devices.list()).find((d) => d.id === "late")?.label, "Late");
        });

        await t.step(
          "50 concurrent claims of one token over two handles: exactly one",
          async () => {
            const h = hash();
            await a.devices.addWithToken({ id: "race", label: "" }, {
              hash: h,
              expiresAt: now + 60_000,
            }, now);
            const results = await Promise.all(
              Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).devices.consumeToken(h, now)),
            );
            const won = results.filter((r) => "deviceId" in r);
            assert.equal(won.length, 1, JSON.stringify(results));
            assert.deepEqual(won[0], { deviceId: "race" });
            assert.ok(results.every((r) => "deviceId" in r || r.refused === "used"));
            // Released (issuing failed), it works once more.
            await a.devices.releaseToken(h);
            assert.deepEqual(await b.devices.consumeToken(h, now), { deviceId: "race" });
            assert.deepEqual(await a.devices.consumeToken(h, now), { refused: "used" });
          },
        );

        await t.step("certificates and revocation", async () => {
          const cert = {
            deviceId: "door",
            fingerprint256: "AB:CD",
            x5tS256: "x5t",
            notBefore: now,
            notAfter: now + 86_400_000,
            issuedAt: now,
          };
          await a.devices.recordCertificate({ ...cert, serial: "01aa" });
          await a.devices.recordCertificate({ ...cert, serial: "01ab", notAfter: now + 1000 });
          assert.equal((await b.devices.list())[0].certNotAfter, now + 86_400_000);
          const marker = await a.changeMarker();
          const serials = await b.devices.revoke("door", now + 5, "operator");
          assert.deepEqual(serials.sort(), ["01aa", "01ab"]);
          assert.notEqual(await a.changeMarker(), marker, "another handle's commit is seen");
          assert.equal(await a.devices.isActive("door"), false);
          assert.equal(await a.devices.exists("door"), true);
          assert.deepEqual(
            (await a.devices.revokedCertificates()).map((r) => [r.serial, r.revokedAt]).sort(),
            [["01aa", now + 5], ["01ab", now + 5]],
          );
          assert.deepEqual(await b.devices.revoke("door", now + 6, "again"), []);
          await assert.rejects(b.devices.revoke("ghost", now, "x"), /unknown device "ghost"/);
          // A revoked device's tokens are gone; re-adding clears the revocation.
          const h = hash();
          await a.devices.addWithToken({ id: "door", label: "" }, {
            hash: h,
            expiresAt: now + 60_000,
          }, now);
          assert.equal(await b.devices.isActive("door"), true);
          assert.deepEqual(await b.devices.consumeToken(h, now), { deviceId: "door" });
        });

        await t.step("passkeys: add, find, list, used, remove; challenges once", async () => {
          await a.users.create({ name: "pk1", passwordHash: "h", cameras: [] }, now);
          const cred = {
            id: "cred-1",
            username: "pk1",
            publicKey: "pub",
            counter: 0,
            transports: ["internal"],
          };
          assert.equal(await a.passkeys.add(cred, now), true);
          assert.equal(await b.passkeys.add({ ...cred, username: "pk1" }, now), false, "id taken");
          assert.deepEqual(await b.passkeys.find("cred-1"), {
            ...cred,
            createdAt: now,
            lastUsedAt: null,
          });
          assert.equal(await b.passkeys.used("cred-1", 5, now + 1), true);
          assert.equal((await a.passkeys.find("cred-1"))?.counter, 5);
          assert.deepEqual((await a.passkeys.list("pk1")).map((p) => p.id), ["cred-1"]);
          assert.equal(await a.passkeys.remove("someone", "cred-1"), false, "not theirs");
          await a.passkeys.putChallenge(
            { id: "f1", challenge: "c1", kind: "login", username: null, expiresAt: now + 1000 },
            now,
          );
          assert.equal(await b.passkeys.takeChallenge("f1", "register", now), null, "other kind");
          assert.deepEqual(await b.passkeys.takeChallenge("f1", "login", now), {
            challenge: "c1",
            username: null,
          });
          assert.equal(await a.passkeys.takeChallenge("f1", "login", now), null, "single use");
          await a.passkeys.putChallenge(
            { id: "f2", challenge: "c2", kind: "register", username: "pk1", expiresAt: now + 1000 },
            now,
          );
          assert.equal(
            await b.passkeys.takeChallenge("f2", "register", now + 1000),
            null,
            "expired",
          );
          assert.equal(await a.passkeys.remove("pk1", "cred-1"), true);
          assert.equal(await a.passkeys.find("cred-1"), null);
          await a.passkeys.add(cred, now);
          assert.equal(await a.users.remove("pk1"), true);
          assert.equal(await a.passkeys.find("cred-1"), null, "removed with the account");
        });

        await t.step("users: create, find, list, password, remove", async () => {
          await a.users.create({ name: "bob", passwordHash: "h1", cameras: ["door"] }, now);
          await a.users.create({ name: "alice", passwordHash: "h0", cameras: ["*"] }, now);
          await assert.rejects(
            b.users.create({ name: "bob", passwordHash: "x", cameras: [] }, now),
            /user "bob" already exists/,
          );
          assert.deepEqual(await b.users.find("bob"), {
            name: "bob",
            passwordHash: "h1",
            cameras: ["door"],
            recordings: [],
            role: "viewer",
            createdAt: now,
            updatedAt: now,
          });
          assert.equal(await b.users.find("nobody"), null);
          assert.deepEqual((await b.users.list()).map((u) => u.name), ["alice", "bob"]);
          assert.ok(!("passwordHash" in (await b.users.list())[0]));
          assert.equal(await b.users.setPassword("bob", "h2", now + 1), true);
          assert.equal(await b.users.setPassword("nobody", "h2", now + 1), false);
          assert.equal((await a.users.find("bob"))?.passwordHash, "h2");
          assert.equal((await a.users.find("bob"))?.updatedAt, now + 1);
          assert.equal(
            await b.users.setGrants("bob", { cameras: ["door", "yard"] }, now + 2),
            true,
          );
          assert.equal(await b.users.setGrants("nobody", { cameras: ["*"] }, now + 2), false);
          assert.equal(await b.users.setGrants("bob", {}, now + 3), true, "nothing to change");
          assert.deepEqual((await a.users.find("bob"))?.cameras, ["door", "yard"]);
          assert.equal((await a.users.find("bob"))?.updatedAt, now + 2);
          assert.equal(await b.users.setGrants("bob", { recordings: ["door"] }, now + 4), true);
          assert.deepEqual((await a.users.find("bob"))?.recordings, ["door"]);
          assert.deepEqual((await a.users.find("bob"))?.cameras, ["door", "yard"]);
        });

        await t.step("recordings: index once, list a span, oldest, total, remove", async () => {
          const rec = (camera: string, segment: string, start: number, bytes = 10) => ({
            camera,
            segment,
            startMs: start,
            endMs: start + 1000,
            bytes,
            sha256: "ab".repeat(32),
            storedAt: now,
          });
          assert.equal(await a.recordings.add(rec("door", "s1", 1000)), true);
          assert.equal(await b.recordings.add(rec("door", "s1", 1000)), false, "indexed once");
          await a.recordings.add(rec("door", "s2", 2000, 20));
          await a.recordings.add(rec("yard", "s1", 500, 5));
          assert.deepEqual(
            (await b.recordings.list("door", 1500, 2500)).map((r) => r.segment),
            ["s1", "s2"],
          );
          assert.deepEqual(await b.recordings.list("door", 3000, 4000), []);
          assert.deepEqual(await b.recordings.find("door", "s2"), rec("door", "s2", 2000, 20));
          assert.deepEqual(
            (await b.recordings.oldest(2)).map((r) => `${r.camera}/${r.segment}`),
            ["yard/s1", "door/s1"],
          );
          assert.equal(await b.recordings.totalBytes(), 35);
          assert.deepEqual(await b.recordings.perCamera(), [
            { camera: "door", segments: 2, bytes: 30, fromMs: 1000, toMs: 3000 },
            { camera: "yard", segments: 1, bytes: 5, fromMs: 500, toMs: 1500 },
          ]);
          assert.equal(await b.recordings.remove("door", "s1"), true);
          assert.equal(await b.recordings.remove("door", "s1"), false);
          assert.equal(await a.recordings.totalBytes(), 25);
          assert.deepEqual((await a.recordings.perCamera()).map((u) => u.segments), [1, 1]);
        });

        await t.step(
          "users: roles (create as admin, --admin / --no-admin, with cameras)",
          async () => {
            await a.users.create(
              { name: "root", passwordHash: "h", cameras: ["*"], role: "admin" },
              now,
            );
            assert.equal((await b.users.find("root"))?.role, "admin");
            assert.equal((await b.users.list()).find((u) => u.name === "root")?.role, "admin");
            assert.equal(
              await b.users.setGrants("bob", { admin: true, cameras: ["yard"] }, now + 4),
              true,
            );
            assert.deepEqual(
              await a.users.find("bob").then((u) => [u?.role, u?.cameras, u?.updatedAt]),
              ["admin", ["yard"], now + 4],
            );
            assert.equal(await b.users.setGrants("bob", { admin: false }, now + 5), true);
            assert.equal((await a.users.find("bob"))?.role, "viewer");
            assert.deepEqual((await a.users.find("bob"))?.cameras, ["yard"], "cameras kept");
            assert.equal(await b.users.remove("root"), true);
          },
        );

        await t.step("refresh tokens: rotation, expiry, logout", async () => {
          const family = crypto.randomUUID();
          const first = hash();
          await a.refreshTokens.store(
            { hash: first, familyId: family, username: "bob", expiresAt: now + 60_000 },
            now,
          );
          assert.equal(await b.refreshTokens.familyOf(first), family);
          assert.equal(await b.refreshTokens.familyOf(hash()), null);
          assert.deepEqual(await b.refreshTokens.consume(first, now), {
            ok: true,
            username: "bob",
            familyId: family,
            amr: ["pwd"],
            passkeyId: null,
          });
          const passkey = hash();
          await a.refreshTokens.store(
            {
              hash: passkey,
              familyId: family,
              username: "bob",
              expiresAt: now + 60_000,
              amr: ["hwk", "user"],
              passkeyId: "cred-1",
            },
            now,
          );
          assert.deepEqual(
            await b.refreshTokens.consume(passkey, now).then((r) => r.ok && [r.amr, r.passkeyId]),
            [["hwk", "user"], "cred-1"],
            "the login's methods and passkey survive rotation",
          );
          assert.deepEqual(await a.refreshTokens.consume(hash(), now), {
            ok: false,
            reason: "unknown",
          });
          const old = hash();
          await a.refreshTokens.store(
            { hash: old, familyId: family, username: "bob", expiresAt: now - 1 },
            now - 10,
          );
          assert.deepEqual(await a.refreshTokens.consume(old, now), {
            ok: false,
            reason: "expired",
            familyId: family,
          });
          assert.equal(await a.refreshTokens.isFamilyRevoked(family), false);
          await b.refreshTokens.revokeFamily(family, now, "logout");
          await b.refreshTokens.revokeFamily(family, now + 1, "again"); // idempotent
          assert.equal(await a.refreshTokens.isFamilyRevoked(family), true);
          assert.deepEqual(await a.refreshTokens.familiesRevokedSince(now), [family]);
          assert.deepEqual(await a.refreshTokens.familiesRevokedSince(now + 1), []);
          const next = hash();
          await a.refreshTokens.store(
            { hash: next, familyId: family, username: "bob", expiresAt: now + 60_000 },
            now,
          );
          assert.deepEqual(await a.refreshTokens.consume(next, now), {
            ok: false,
            reason: "revoked",
            familyId: family,
          });
        });

        await t.step(
          "refresh reuse across handles: 20 concurrent presentations rotate once, revoke the family",
          async () => {
            const family = crypto.randomUUID();
            const h = hash();
            await a.refreshTokens.store(
              { hash: h, familyId: family, username: "bob", expiresAt: now + 60_000 },
              now,
            );
            const results = await Promise.all(
              Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).refreshTokens.consume(h, now)),
            );
            assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
            // The first late one is reuse and revokes the family; later ones find it revoked.
            const late = results.filter((r) => !r.ok).map((r) => !r.ok && r.reason);
            assert.ok(late.includes("reused"), late.join());
            assert.ok(late.every((r) => r === "reused" || r === "revoked"), late.join());
            assert.equal(await b.refreshTokens.isFamilyRevoked(family), true);
          },
        );

        await t.step("passkey families: only those logged in with it are revoked", async () => {
          const withKey = crypto.randomUUID();
          const other = crypto.randomUUID();
          const password = crypto.randomUUID();
          const at = now + 50;
          for (const [f, passkeyId] of [[withKey, "key-a"], [other, "key-b"], [password, null]]) {
            await a.refreshTokens.store(
              { hash: hash(), familyId: f!, username: "bob", expiresAt: now + 60_000, passkeyId },
              now,
            );
          }
          assert.deepEqual(await b.refreshTokens.revokePasskeyFamilies("key-a", at), [withKey]);
          assert.equal(await a.refreshTokens.isFamilyRevoked(withKey), true);
          assert.equal(await a.refreshTokens.isFamilyRevoked(other), false);
          assert.equal(await a.refreshTokens.isFamilyRevoked(password), false);
          assert.deepEqual(await a.refreshTokens.revokePasskeyFamilies("unknown", at), []);
        });

        await t.step("user families: revoked together; removal cascades", async () => {
          const f1 = crypto.randomUUID();
          const f2 = crypto.randomUUID();
          for (const f of [f1, f2]) {
            await a.refreshTokens.store(
              { hash: hash(), familyId: f, username: "alice", expiresAt: now + 60_000 },
              now,
            );
          }
          await b.refreshTokens.revokeUserFamilies("alice", now + 100);
          assert.deepEqual(
            (await a.refreshTokens.familiesRevokedSince(now + 100)).sort(),
            [
              f1,
              f2,
            ].sort(),
          );
          const t1 = hash();
          await a.refreshTokens.store(
            { hash: t1, familyId: crypto.randomUUID(), username: "alice", expiresAt: now + 1e5 },
            now,
          );
          assert.equal(await b.users.remove("alice"), true);
          assert.equal(await b.users.remove("alice"), false);
          assert.equal(await a.refreshTokens.familyOf(t1), null, "tokens go with the user");
        });

        await t.step(
          "JWT keys: one current key; retired ones listed within the window",
          async () => {
            assert.deepEqual(await a.jwtKeys.list(0), []);
            await a.jwtKeys.rotate({ kid: "k1", publicJwk: '{"kid":"k1"}' }, now);
            await b.jwtKeys.rotate({ kid: "k2", publicJwk: '{"kid":"k2"}' }, now + 10);
            const keys = await a.jwtKeys.list(now);
            assert.deepEqual(keys, [
              { kid: "k1", publicJwk: '{"kid":"k1"}', createdAt: now, retiredAt: now + 10 },
              { kid: "k2", publicJwk: '{"kid":"k2"}', createdAt: now + 10, retiredAt: null },
            ]);
            assert.deepEqual((await a.jwtKeys.list(now + 10)).map((k) => k.kid), ["k2"]);
          },
        );

        await t.step(
          "cluster events: revocations, removal and rotation are logged, in order, once",
          async () => {
            const kinds = (await b.events.after(0)).map((e) => `${e.kind}:${e.subject}`);
            // Logged by the steps above in their own transactions; idempotent repeats add nothing.
            assert.ok(kinds.includes("device.revoked:door"), kinds.join());
            assert.equal(kinds.filter((k) => k === "device.revoked:door").length, 1);
            assert.ok(kinds.includes("user.removed:alice"), kinds.join());
            assert.ok(kinds.includes("keys.rotated:k2"), kinds.join());
            assert.ok(kinds.some((k) => k.startsWith("family.revoked:")), kinds.join());
            const last = await a.events.last();
            assert.equal((await a.events.after(0)).at(-1)?.seq, last);
            const seq = await a.events.append("user.scope", "bob", now);
            assert.equal(seq, last + 1);
            assert.deepEqual(await b.events.after(last), [
              { seq, kind: "user.scope", subject: "bob", at: now },
            ]);
            assert.equal((await b.events.after(0, 2)).length, 2);
          },
        );

        await t.step("sealed keys: the first writer wins", async () => {
          assert.equal(await a.sealedKeys.get("ca"), null);
          const [x, y] = await Promise.all([
            a.sealedKeys.putIfAbsent("ca", "sealed-a", now),
            b.sealedKeys.putIfAbsent("ca", "sealed-b", now),
          ]);
          assert.equal(x, y);
          assert.equal(await b.sealedKeys.get("ca"), x);
          await a.sealedKeys.putIfAbsent("jwt-old", "sealed-old", now);
          await b.sealedKeys.remove(["jwt-old", "jwt-unknown"]);
          assert.equal(await a.sealedKeys.get("jwt-old"), null);
          assert.equal(await a.sealedKeys.get("ca"), x, "others stay");
        });

        await t.step("ping answers; a closed handle refuses", async () => {
          await a.ping();
          const c = await f.open();
          await c.close();
          await assert.rejects(c.ping());
        });
      } finally {
        await a.close();
        await b.close();
        await f.cleanup();
      }
    },
  });
}
