import assert from "node:assert/strict";
import { auditLine } from "./remote_commands.ts";

Deno.test("audit lines: plain values bare, anything else JSON-quoted (no terminal escapes)", () => {
  assert.equal(
    auditLine({
      ts: "2026-12-03T08:00:00.000Z",
      event: "admin.device_added",
      admin: "root",
      ip: "127.0.0.1:5",
    }),
    "2026-12-03T08:00:00.000Z admin.device_added admin=root ip=127.0.0.1:5",
  );
  const line = auditLine({
    ts: "t",
    event: "login.failure",
    user: "x\u001b[2J\ny",
    n: 3,
    list: ["a"],
  });
  assert.equal(line, 't login.failure user="x\\u001b[2J\\ny" n=3 list=["a"]');
  assert.ok(!line.includes("\u001b") && !line.includes("\n"));
  const sneaky = auditLine({ ts: "t", event: "e", user: "a\u009b2Jb\u202ec\u2028" });
  assert.equal(sneaky, 't e user="a\\u009b2Jb\\u202ec\\u2028"');
  assert.equal(auditLine({ ts: "t", event: "e", "k\u001b": 1 }), "t e k\\u001b=1");
});
