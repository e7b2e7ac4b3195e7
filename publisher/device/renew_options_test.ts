import assert from "node:assert/strict";
import { parseRenewArgs, renewFlags } from "./renew_options.ts";

Deno.test("renew options: the enrolled server's device port, the state dir", () => {
  const device = {
    serverUrl: "https://cams.lan:8443",
    deviceId: "cam",
    devicePort: 8444,
    caFingerprint: "AB".repeat(32),
  };
  const o = parseRenewArgs(["--state-dir=/s", "--json"]);
  assert.deepEqual(renewFlags(o, device), [
    "--allow-net=cams.lan:8444",
    "--allow-read=/s",
    "--allow-write=/s",
  ]);
  assert.deepEqual(
    renewFlags(parseRenewArgs(["--state-dir", "/s"]), {
      ...device,
      serverUrl: "https://[::1]:8443",
    })[0],
    "--allow-net=[::1]:8444",
  );
});
