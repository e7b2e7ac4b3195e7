import assert from "node:assert/strict";
import { currentScope, LiveGrants } from "./live_grants.ts";

Deno.test("LiveGrants: family, user and scope events end exactly what they cover", () => {
  const g = new LiveGrants();
  const ended: string[] = [];
  const hold = (name: string, family: string, user: string, camera?: string) =>
    g.hold({ family, user, camera, end: (why) => ended.push(`${name}: ${why}`) });
  hold("a-stream", "fa", "alice");
  hold("a-door", "fa", "alice", "door");
  hold("a-yard", "fa2", "alice", "yard");
  hold("b-stream", "fb", "bob");
  const release = hold("b-door", "fb", "bob", "door");
  const told: string[] = [];
  g.addHolder({
    familyRevoked: (f) => told.push(`family ${f}`),
    userRemoved: (u) => told.push(`user ${u}`),
    scopeChanged: (u, c) => told.push(`scope ${u} ${c.join(",")}`),
  });

  g.scopeChanged("alice", ["yard"]);
  assert.deepEqual(ended.splice(0), [
    "a-stream: camera access changed",
    "a-door: camera access changed",
  ]);
  g.familyRevoked("fa2", "logged out");
  assert.deepEqual(ended.splice(0), ["a-yard: logged out"]);
  release();
  g.userRemoved("bob");
  assert.deepEqual(ended.splice(0), ["b-stream: account removed"]);
  assert.equal(g.size, 0);
  assert.deepEqual(told, ["scope alice yard", "family fa2", "user bob"]);
});

Deno.test("currentScope: a token's cameras narrowed to the user's current ones", () => {
  assert.deepEqual(currentScope(["*"], ["door"]), ["door"]);
  assert.deepEqual(currentScope(["door", "yard"], ["yard"]), ["yard"]);
  assert.deepEqual(currentScope(["door"], ["*"]), ["door"]);
  assert.deepEqual(currentScope(["door"], []), []);
});
