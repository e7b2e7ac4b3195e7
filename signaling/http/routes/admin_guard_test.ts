import assert from "node:assert/strict";
import { adminRefusal } from "./admin_guard.ts";

const admin = { role: "admin" };

Deno.test("admin guard: the role in the token and in the store", () => {
  assert.equal(adminRefusal({ role: "admin", amr: ["pwd"] }, admin), null);
  assert.equal(adminRefusal({ role: "viewer" }, admin), "not an admin");
  assert.equal(adminRefusal({}, admin), "not an admin");
  assert.equal(adminRefusal({ role: "admin" }, null), "account removed");
  assert.equal(adminRefusal({ role: "admin" }, { role: "viewer" }), "admin role withdrawn");
});

Deno.test("admin guard: --admin-require-passkey wants a key and a verified user", () => {
  const refuse = (amr?: string[]) => adminRefusal({ role: "admin", amr }, admin, true);
  assert.equal(refuse(["hwk", "mfa", "user"]), null);
  assert.match(refuse(["hwk", "user"]) ?? "", /passkey that verifies you/, "a touch is not enough");
  assert.match(refuse(["pwd"]) ?? "", /passkey/);
  assert.match(refuse(["mfa"]) ?? "", /passkey/, "mfa without a hardware key");
  assert.match(refuse(undefined) ?? "", /passkey/, "tokens without amr are password logins");
  assert.equal(adminRefusal({ role: "admin", amr: ["hwk", "user"] }, admin, false), null);
});
