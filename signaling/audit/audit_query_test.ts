import assert from "node:assert/strict";
import { filterAudit, parseAuditLines, queryAuditFile } from "./audit_query.ts";

const lines = [
  { event: "login.success", user: "alice" },
  { event: "session.start", camera: "door", viewer: "alice" },
  { event: "device.revoked", device: "door" },
  { event: "admin.device_added", admin: "root", device: "yard" },
  { event: "login.failure", user: "bob" },
];

Deno.test("audit filter: newest first, by kind (name or prefix), device, user, limit", () => {
  assert.deepEqual(filterAudit(lines, { limit: 2 }).map((e) => e.event), [
    "login.failure",
    "admin.device_added",
  ]);
  assert.deepEqual(filterAudit(lines, { kind: "login", limit: 10 }).map((e) => e.user), [
    "bob",
    "alice",
  ]);
  assert.equal(filterAudit(lines, { kind: "log", limit: 10 }).length, 0, "prefix up to a dot only");
  assert.deepEqual(filterAudit(lines, { device: "door", limit: 10 }).map((e) => e.event), [
    "device.revoked",
    "session.start",
  ]);
  assert.deepEqual(filterAudit(lines, { user: "root", limit: 10 }).map((e) => e.event), [
    "admin.device_added",
  ]);
  assert.deepEqual(
    filterAudit(lines, { user: "alice", kind: "session.start", limit: 10 }).length,
    1,
  );
});

Deno.test("audit file: torn and bad lines skipped; a missing file is empty; only the tail read", async () => {
  assert.deepEqual(parseAuditLines('{"event":"a"}\n{"event":\nnot json\n[1]\n{"event":"b"}\n'), [
    { event: "a" },
    { event: "b" },
  ]);
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await queryAuditFile(`${dir}/none.log`, { limit: 5 }), []);
    const path = `${dir}/audit.log`;
    const big = JSON.stringify({ event: "filler", pad: "x".repeat(1000) }) + "\n";
    await Deno.writeTextFile(path, big.repeat(5000) + JSON.stringify({ event: "last" }) + "\n");
    const got = await queryAuditFile(path, { limit: 3 });
    assert.deepEqual(got.map((e) => e.event), ["last", "filler", "filler"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
