import assert from "node:assert/strict";
import { SessionTable } from "./table.ts";

Deno.test("session table: limits per camera and per viewer", () => {
  const s = new SessionTable({ perCamera: 2, perViewer: 2 });
  const a = s.admit({ camera: "cam1", viewer: "alice" });
  const b = s.admit({ camera: "cam1", viewer: "bob" });
  assert.equal(typeof a, "object");
  assert.equal(typeof b, "object");
  assert.equal(s.admit({ camera: "cam1", viewer: "carol" }), "camera_full");
  assert.equal(typeof s.admit({ camera: "cam2", viewer: "alice" }), "object");
  assert.equal(s.admit({ camera: "cam3", viewer: "alice" }), "viewer_full");
  s.remove((a as { id: string }).id);
  assert.equal(typeof s.admit({ camera: "cam1", viewer: "carol" }), "object");
  assert.equal(s.size, 3);
});

Deno.test("session table: a camera's own lower limit wins", () => {
  const s = new SessionTable({ perCamera: 16, perViewer: 16 });
  assert.equal(typeof s.admit({ camera: "cam", viewer: "a", cameraLimit: 1 }), "object");
  assert.equal(s.admit({ camera: "cam", viewer: "b", cameraLimit: 1 }), "camera_full");
  assert.equal(typeof s.admit({ camera: "cam", viewer: "b", cameraLimit: 99 }), "object");
  assert.equal(s.admit({ camera: "cam", viewer: "c", cameraLimit: 2 }), "camera_full");
});

Deno.test("session table: other nodes' sessions count toward the limits", () => {
  const s = new SessionTable({ perCamera: 3, perViewer: 2 });
  assert.equal(typeof s.admit({ camera: "cam", viewer: "a" }), "object");
  assert.deepEqual(s.counts("cam", "a"), { perCamera: 1, perViewer: 1 });
  assert.equal(
    s.admit({ camera: "cam", viewer: "a", elsewhere: { camera: 0, viewer: 1 } }),
    "viewer_full",
  );
  assert.equal(
    s.admit({ camera: "cam", viewer: "b", elsewhere: { camera: 2, viewer: 0 } }),
    "camera_full",
  );
  assert.equal(
    typeof s.admit({ camera: "cam", viewer: "b", elsewhere: { camera: 1, viewer: 1 } }),
    "object",
  );
});

Deno.test("session table: sessions by login family", () => {
  const s = new SessionTable({ perCamera: 4, perViewer: 4 });
  s.admit({ camera: "a", viewer: "v", family: "f1" });
  s.admit({ camera: "b", viewer: "v", family: "f1" });
  s.admit({ camera: "a", viewer: "w", family: "f2" });
  assert.equal(s.ofFamily("f1").length, 2);
  assert.equal(s.all().length, 3);
});
