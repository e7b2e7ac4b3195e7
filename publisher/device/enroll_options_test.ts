import assert from "node:assert/strict";
import { UsageError } from "../../lib/cli.ts";
import { enrollFlags, parseEnrollArgs } from "./enroll_options.ts";

Deno.test("enroll options: both flag forms; network only to the server, files only in the state dir", () => {
  const a = parseEnrollArgs(["--server=https://cams.lan:9443", "--state-dir=/s", "--token-stdin"]);
  const b = parseEnrollArgs(["--server", "https://cams.lan:9443", "--state-dir", "/s"]);
  assert.deepEqual(enrollFlags(a), enrollFlags(b));
  assert.deepEqual(enrollFlags(a), [
    "--allow-net=cams.lan:9443",
    "--allow-read=/s",
    "--allow-write=/s",
  ]);
  assert.equal(a.tokenStdin, true);
  assert.equal(
    enrollFlags(parseEnrollArgs(["--server=https://[::1]", "--state-dir=/s"]))[0],
    "--allow-net=[::1]:443",
  );
});

Deno.test("enroll options: --server is required and must be https", () => {
  assert.throws(
    () => parseEnrollArgs(["--token", "t"]),
    (e) => e instanceof UsageError && /--server is required/.test(e.message),
  );
  assert.throws(() => parseEnrollArgs(["--server", "cams.lan"]), /--server must be a URL/);
  assert.throws(
    () => parseEnrollArgs(["--server", "http://cams.lan:8443"]),
    /--server must be https/,
  );
});
