import assert from "node:assert/strict";
import {
  deviceBaseUrl,
  isEnrolled,
  loadState,
  saveState,
  serverHost,
  statePaths,
} from "./state.ts";

const config = {
  serverUrl: "https://cams.example:8443",
  deviceId: "cam-1",
  devicePort: 8444,
  caFingerprint: "AB".repeat(32),
};

Deno.test("state round-trips, key is 0600", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await isEnrolled(dir), false);
    await assert.rejects(loadState(dir), /not enrolled/);
    await saveState(dir, { config, keyPem: "K", certPem: "C", caPem: "A" });
    assert.equal(await isEnrolled(dir), true);
    const s = await loadState(dir);
    assert.deepEqual(s, { config, keyPem: "K", certPem: "C", caPem: "A" });
    assert.equal((await Deno.stat(statePaths(dir).key)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("device listener URL and host", () => {
  assert.equal(deviceBaseUrl(config), "https://cams.example:8444");
  assert.equal(serverHost(config), "cams.example");
  assert.equal(serverHost({ ...config, serverUrl: "https://[::1]:8443" }), "::1");
});
