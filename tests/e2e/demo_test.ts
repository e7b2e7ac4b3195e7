/**
 * The README's first command: `deno task demo` (its own flags, from
 * deno.json) brings up the server, enrolls the demo camera and starts the
 * publisher until it says it is running, and a viewer logged in with the
 * printed account gets an answer from the camera. It runs in a directory
 * under ./demo-data (the only place the task may write) on free ports.
 */
import assert from "node:assert/strict";
import { taskArgs } from "../helpers/tasks.ts";

const REPO = new URL("../../", import.meta.url).pathname;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("demo: deno task demo runs the whole system and the camera answers a viewer", async () => {
  const dir = `demo-data/_test-${crypto.randomUUID().slice(0, 8)}`;
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...taskArgs("demo"),
      "--dir",
      dir,
      "--port",
      String(port),
      "--device-port",
      String(freePort()),
    ],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) output += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  try {
    const deadline = Date.now() + 180_000;
    while (!output.includes("vigil demo is running.")) {
      const status = await Promise.race([
        child.status,
        new Promise<null>((r) => setTimeout(() => r(null), 250)),
      ]);
      if (status) assert.fail(`demo exited (${status.code}) before it was running:\n${output}`);
      if (Date.now() > deadline) assert.fail(`demo not running after 180 s:\n${output}`);
    }
    assert.doesNotMatch(output, /error/i, "no error on the way");
    const creds = JSON.parse(await Deno.readTextFile(`${REPO}${dir}/viewer.json`));
    const ca = await Deno.readTextFile(`${REPO}${dir}/server/pki/ca.pem`);
    const client = Deno.createHttpClient({ caCerts: [ca] });
    try {
      const base = `https://127.0.0.1:${port}`;
      const login = await fetch(`${base}/auth/login`, {
        method: "POST",
        client,
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ username: creds.username, password: creds.password }),
      });
      assert.equal(login.status, 200, await login.clone().text());
      const { accessToken } = await login.json();
      const cams = await fetch(`${base}/api/cameras`, {
        client,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const list = await cams.json();
      const demo = (list.cameras ?? list).find((c: { id: string }) => c.id === "demo-cam");
      assert.ok(demo, JSON.stringify(list));
      assert.equal(demo.online, true, JSON.stringify(demo));
      // The demo's one account is also its operator.
      const devices = await fetch(`${base}/api/admin/devices`, {
        client,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      assert.equal(devices.status, 200, await devices.clone().text());
      const listed = (await devices.json()).devices as { id: string; online: boolean }[];
      assert.ok(listed.some((d) => d.id === "demo-cam" && d.online), JSON.stringify(listed));
    } finally {
      client.close();
    }
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await pumps;
    await Deno.remove(`${REPO}${dir}`, { recursive: true }).catch(() => {});
  }
});
