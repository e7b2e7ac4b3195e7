import assert from "node:assert/strict";
import { auditLine, AuditLog } from "./audit_log.ts";

Deno.test("audit lines: U+2028/U+2029 and newlines escaped, one entry per line", async () => {
  const forged = 'x\u2028{"event":"login.success","user":"admin"}\u2029\n\r';
  const line = auditLine({ event: "login.failure", user: forged });
  assert.equal(line.indexOf("\n"), line.length - 1);
  assert.ok(!/[\u2028\u2029\r]/.test(line), line);
  assert.equal(JSON.parse(line).user, forged, "the value itself survives");
  const dir = await Deno.makeTempDir();
  try {
    const log = new AuditLog(`${dir}/audit.log`);
    log.log("login.failure", { user: forged });
    log.close();
    const text = await Deno.readTextFile(`${dir}/audit.log`);
    assert.equal(text.split(/\r\n|[\n\r\u2028\u2029]/).filter(Boolean).length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
