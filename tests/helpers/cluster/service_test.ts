import assert from "node:assert/strict";
import { missingPackages } from "./requirements.ts";
import { randomSecret, setprivArgs, spawnService, waitReady } from "./service.ts";

Deno.test("service: setpriv arguments die with the parent and drop privileges", () => {
  assert.deepEqual(setprivArgs("nats-server", ["-c", "x"]), [
    "--pdeathsig",
    "SIGKILL",
    "--",
    "nats-server",
    "-c",
    "x",
  ]);
  assert.deepEqual(setprivArgs("postgres", ["-D", "d"], { uid: 999, gid: 998 }), [
    "--pdeathsig",
    "SIGKILL",
    "--reuid=999",
    "--regid=998",
    "--clear-groups",
    "--",
    "postgres",
    "-D",
    "d",
  ]);
});

Deno.test("service: secrets are 256-bit base64url", () => {
  const a = randomSecret();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, randomSecret());
});

Deno.test("service: missing packages are named for apt", () => {
  const none = () => false;
  assert.deepEqual(missingPackages(["postgres", "nats"], none), [
    "postgresql-15",
    "nats-server",
    "util-linux",
  ]);
  assert.deepEqual(missingPackages(["haproxy"], () => true), []);
});

Deno.test("service: a child that exits before it is ready fails with its output", async () => {
  const p = spawnService("sh", ["-c", "echo config error on line 3 >&2; exit 7"]);
  await assert.rejects(
    waitReady(p, "demo", () => false),
    /demo exited \(code 7\) before it was ready:\nconfig error on line 3/,
  );
});
