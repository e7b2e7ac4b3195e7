import assert from "node:assert/strict";
import {
  announcedUrls,
  ICE_SERVERS_FILE,
  iceServerNet,
  iceServersChanged,
  loadIceServerUrls,
  saveIceServerUrls,
} from "./ice_servers_state.ts";

Deno.test("announcedUrls: canonical, sorted, deduplicated; bad URLs dropped", () => {
  assert.deepEqual(
    announcedUrls([
      { urls: ["turn:203.0.113.10", "stun:203.0.113.10:3478"] },
      { urls: "turn:203.0.113.10:3478?transport=udp" },
      { urls: ["http://evil.example", "turn:0.0.0.0.0"] },
    ]),
    ["stun:203.0.113.10:3478", "turn:203.0.113.10:3478?transport=udp"],
  );
});

Deno.test("iceServerNet and iceServersChanged", () => {
  assert.deepEqual(iceServerNet(["stun:a.example:3478", "turn:a.example:3478?transport=udp"]), [
    "a.example:3478",
  ]);
  assert.equal(iceServersChanged([], []), false);
  assert.equal(iceServersChanged(["stun:a.example:3478"], []), true);
  assert.equal(iceServersChanged(["stun:a.example:3478"], ["stun:b.example:3478"]), true);
  assert.equal(iceServersChanged(["stun:a.example:3478"], ["stun:a.example:3478"]), false);
});

Deno.test("stored ICE servers: round trip; missing or broken file is none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await loadIceServerUrls(dir), []);
    await saveIceServerUrls(dir, ["turn:203.0.113.10:3478?transport=udp"]);
    assert.deepEqual(await loadIceServerUrls(dir), ["turn:203.0.113.10:3478?transport=udp"]);
    await Deno.writeTextFile(`${dir}/${ICE_SERVERS_FILE}`, "{not json");
    assert.deepEqual(await loadIceServerUrls(dir), []);
    await Deno.writeTextFile(`${dir}/${ICE_SERVERS_FILE}`, '{"urls":["turn:*:1"]}');
    assert.deepEqual(await loadIceServerUrls(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
