import assert from "node:assert/strict";
import { WhepSessions } from "./table.ts";

Deno.test("whep sessions: limits per camera and per viewer", () => {
  const s = new WhepSessions({ perCamera: 2, perViewer: 2 });
  const a = s.admit("cam1", "alice");
  const b = s.admit("cam1", "bob");
  assert.equal(typeof a, "object");
  assert.equal(typeof b, "object");
  assert.equal(s.admit("cam1", "carol"), "camera_full");
  assert.equal(typeof s.admit("cam2", "alice"), "object");
  assert.equal(s.admit("cam3", "alice"), "viewer_full");
  s.remove((a as { id: string }).id);
  assert.equal(typeof s.admit("cam1", "carol"), "object");
  assert.equal(s.removeCamera("cam1").length, 2);
  assert.equal(s.size, 1);
});
