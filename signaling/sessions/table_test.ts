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

Deno.test("session table: other nodes' sessions, asked after reserving, count toward the limits", () => {
  const s = new SessionTable({ perCamera: 3, perViewer: 2 });
  const a = s.admit({ camera: "cam", viewer: "a" });
  assert.ok(typeof a === "object");
  assert.deepEqual(s.counts("cam", "a"), { perCamera: 1, perViewer: 1 });
  assert.equal(s.overLimit(a, { camera: 0, viewer: 1 }), null, "2 of 2 for the viewer");
  assert.equal(s.overLimit(a, { camera: 0, viewer: 2 }), "viewer_full");
  assert.equal(s.overLimit(a, { camera: 2, viewer: 0 }), null, "3 of 3 for the camera");
  assert.equal(s.overLimit(a, { camera: 3, viewer: 0 }), "camera_full");
  assert.equal(
    s.overLimit(a, { camera: 1, viewer: 0 }, 1),
    "camera_full",
    "the camera's own limit",
  );
  // Two reservations on this node count each other, too.
  const b = s.admit({ camera: "cam", viewer: "a" });
  assert.ok(typeof b === "object");
  assert.equal(s.overLimit(b, { camera: 0, viewer: 1 }), "viewer_full");
});

Deno.test("session table: two nodes admitting at once never pass a limit together", () => {
  // Each node reserves, then asks the other; the other answers with what it holds then.
  for (const order of [["A", "B", "A", "B"], ["A", "A", "B", "B"], ["B", "A", "A", "B"]]) {
    const nodes = {
      A: new SessionTable({ perCamera: 1, perViewer: 9 }),
      B: new SessionTable({ perCamera: 1, perViewer: 9 }),
    };
    const other = (n: "A" | "B") => (n === "A" ? nodes.B : nodes.A);
    const reserved: Record<string, ReturnType<SessionTable["admit"]>> = {};
    const admitted: string[] = [];
    const seen = new Set<string>();
    for (const n of order as ("A" | "B")[]) {
      if (!seen.has(n)) {
        seen.add(n);
        reserved[n] = nodes[n].admit({ camera: "cam", viewer: n });
        continue;
      }
      const r = reserved[n];
      if (typeof r !== "object") continue;
      const c = other(n).counts("cam", n);
      if (nodes[n].overLimit(r, { camera: c.perCamera, viewer: 0 })) nodes[n].remove(r.id);
      else admitted.push(n);
    }
    assert.ok(admitted.length <= 1, `${order.join("")}: ${admitted.join(",")}`);
  }
});

Deno.test("session table: sessions by login family", () => {
  const s = new SessionTable({ perCamera: 4, perViewer: 4 });
  s.admit({ camera: "a", viewer: "v", family: "f1" });
  s.admit({ camera: "b", viewer: "v", family: "f1" });
  s.admit({ camera: "a", viewer: "w", family: "f2" });
  assert.equal(s.ofFamily("f1").length, 2);
  assert.equal(s.all().length, 3);
});
