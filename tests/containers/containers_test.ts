/**
 * Both sides as real containers (`deno task test:containers`; skipped by `deno task test`):
 *
 * 1. base image `localhost/vigil-base:bookworm` from Debian + Deno from npm
 *    (containers/build-base.sh; skipped when the image exists),
 * 2. builds containers/server.Containerfile and containers/publisher.Containerfile on it,
 * 3. brings the server up with podman-compose (containers/compose.server.yml, bridge network,
 *    published ports 8443/8444, read-only root, no capabilities),
 * 4. enrolls the publisher container (file source) with the token on stdin, starts it with
 *    host networking (what compose.pi.yml declares; podman-compose 1.0.3 cannot start a
 *    network_mode: host service, so the same options are passed to `podman run`),
 * 5. a headless Chromium on the host logs in and must decode frames.
 *
 * Uses containers/podman/containers.conf (runc, no default ulimits) through CONTAINERS_CONF.
 * Needs root, ports 8443/8444 free. Under CI=true a missing tool fails; locally it is skipped.
 */
import assert from "node:assert/strict";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";

/**
 * Runs only from `deno task test:containers` (which sets VIGIL_CONTAINER_TESTS=1): the plain
 * `deno task test` discovers this file too and must neither run it nor require podman under CI.
 */
function containersIgnored(): boolean {
  if (Deno.env.get("VIGIL_CONTAINER_TESTS") !== "1") {
    console.warn("skipping containers test: run it with deno task test:containers");
    return true;
  }
  return ignoreWithout("podman", "podman-compose", "debootstrap", "npm", CHROMIUM);
}
const ignore = containersIgnored();

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const CONTAINERS = `${ROOT}/containers`;
const BASE = "localhost/vigil-base:bookworm";
const SERVER_IMAGE = "localhost/vigil-server:test";
const PUBLISHER_IMAGE = "localhost/vigil-publisher:test";
const PROJECT = "vigiltest";
const SERVER_CONTAINER = `${PROJECT}_signaling_1`;
const PUBLISHER_CONTAINER = `${PROJECT}_publisher`;
const STATE_VOLUME = `${PROJECT}_state`;
const DEVICE = "container-cam";
const PASSWORD = "container-password-1";

const ENV: Record<string, string> = {
  CONTAINERS_CONF: Deno.env.get("CONTAINERS_CONF") ?? `${CONTAINERS}/podman/containers.conf`,
  CONTAINERS_STORAGE_CONF: Deno.env.get("CONTAINERS_STORAGE_CONF") ??
    `${CONTAINERS}/podman/storage.conf`,
  VIGIL_SERVER_IMAGE: SERVER_IMAGE,
  VIGIL_PUBLISHER_IMAGE: PUBLISHER_IMAGE,
  VIGIL_BASE_IMAGE: BASE,
  VIGIL_SAN: "localhost",
};

/** Container options of compose.pi.yml (read-only root, no capabilities, tmpfs /tmp). */
const HARDENED = [
  "--read-only",
  "--tmpfs",
  "/tmp",
  "--cap-drop=ALL",
  "--security-opt=no-new-privileges",
  "--network=host",
  "-v",
  `${STATE_VOLUME}:/state`,
];

async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string; check?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: ENV,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const r = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if ((opts.check ?? true) && r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} → exit ${r.code}\n${r.stdout.slice(-2000)}\n${
        r.stderr.slice(-2000)
      }`,
    );
  }
  return r;
}

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

/** Build context CA for a TLS-intercepting egress proxy (only the dependency download uses it). */
function caBuildArgs(): string[] {
  const bundle = Deno.env.get("VIGIL_BUILD_CA") ?? "/etc/ssl/certs/ca-certificates.crt";
  try {
    Deno.statSync(bundle);
  } catch {
    return [];
  }
  return ["-v", `${bundle}:/run/build-ca.pem:ro`, "--build-arg", "DENO_CERT=/run/build-ca.pem"];
}

async function build(file: string, tag: string, extra: string[] = []) {
  await run("podman", [
    "build",
    "--format",
    "docker",
    "--network=host",
    ...caBuildArgs(),
    "--build-arg",
    `BASE_IMAGE=${BASE}`,
    ...extra,
    "-f",
    `containers/${file}`,
    "-t",
    tag,
    ".",
  ]);
}

async function imageSize(tag: string): Promise<string> {
  const r = await run("podman", ["image", "inspect", tag, "--format", "{{.Size}}"]);
  return `${(Number(r.stdout.trim()) / 1e6).toFixed(0)} MB`;
}

async function cleanup() {
  await run("podman", ["rm", "-f", PUBLISHER_CONTAINER], { check: false });
  await run(
    "podman-compose",
    ["-p", PROJECT, "-f", "containers/compose.server.yml", "down", "-v"],
    {
      check: false,
    },
  );
  await run("podman", ["volume", "rm", "-f", STATE_VOLUME, `${PROJECT}_data`], { check: false });
  // podman-compose 1.0.3 `down` leaves the project network behind.
  await run("podman", ["network", "rm", "-f", `${PROJECT}_default`], { check: false });
}

async function waitHealthy(container: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await run("podman", ["healthcheck", "run", container], { check: false });
    if (r.code === 0) return;
    last = r.stdout + r.stderr;
    await new Promise((res) => setTimeout(res, 1000));
  }
  const logs = await run("podman", ["logs", container], { check: false });
  throw new Error(`${container} not healthy: ${last}\n${logs.stdout}${logs.stderr}`);
}

function hostViewerNets(): string[] {
  return Deno.networkInterfaces().filter((i) => i.family === "IPv4").flatMap((i) => [
    "--viewer-net",
    i.cidr,
  ]);
}

Deno.test({
  name: "containers: server and publisher images, compose, enrollment, frames in Chromium",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  if (Deno.uid() !== 0) {
    const msg = "containers test needs root (debootstrap, rootful podman)";
    if (Deno.env.get("CI") === "true") throw new Error(msg);
    console.warn(`skipping: ${msg}`);
    return;
  }
  await cleanup();
  try {
    await t.step("base image (debootstrap + Deno from npm; cached)", async () => {
      await timed("base image", () => run(`${CONTAINERS}/build-base.sh`, []));
      console.log(`  ${BASE}: ${await imageSize(BASE)}`);
    });

    await t.step("build both images", async () => {
      await timed("server image build", () => build("server.Containerfile", SERVER_IMAGE));
      await timed(
        "publisher image build",
        () => build("publisher.Containerfile", PUBLISHER_IMAGE, ["--build-arg", "EXTRA_PACKAGES="]),
      );
      console.log(`  ${SERVER_IMAGE}: ${await imageSize(SERVER_IMAGE)}`);
      console.log(`  ${PUBLISHER_IMAGE}: ${await imageSize(PUBLISHER_IMAGE)}`);
      const cfg = await run("podman", [
        "image",
        "inspect",
        SERVER_IMAGE,
        "--format",
        "{{.Config.User}} {{json .Config.Healthcheck.Test}}",
      ]);
      assert.match(cfg.stdout, /^deno /, "runs as the non-root deno user");
      assert.match(cfg.stdout, /healthcheck/, "has a HEALTHCHECK");
      const files = await run("podman", [
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        SERVER_IMAGE,
        "-c",
        "find /app /data -name '*_test.ts' -o -name '*.key' -o -name '*.pem' | head",
      ]);
      assert.equal(files.stdout.trim(), "", "no tests, keys or certificates in the image");
    });

    await t.step("server up with podman-compose, healthy", async () => {
      await timed("server up", async () => {
        await run("podman-compose", [
          "-p",
          PROJECT,
          "-f",
          "containers/compose.server.yml",
          "up",
          "-d",
        ]);
        await waitHealthy(SERVER_CONTAINER, 60_000);
      });
      const inspect = await run("podman", [
        "inspect",
        SERVER_CONTAINER,
        "--format",
        "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}}",
      ]);
      assert.match(inspect.stdout, /^true /, "read-only root fs");
      assert.match(inspect.stdout, /no-new-privileges/);
      const ps = await run("podman", ["exec", SERVER_CONTAINER, "ps", "-eo", "args"], {
        check: false,
      });
      if (ps.code === 0) {
        assert.match(ps.stdout, /--allow-net=0\.0\.0\.0:8443,0\.0\.0\.0:8444 /);
      }
    });

    let token = "";
    let fingerprint = "";
    await t.step("operator commands through podman exec", async () => {
      const added = JSON.parse(
        (await run("podman", [
          "exec",
          SERVER_CONTAINER,
          "vigil-server",
          "device:add",
          DEVICE,
          "--server-url",
          "https://localhost:8443",
          "--json",
        ])).stdout,
      );
      token = added.token;
      fingerprint = added.caFingerprint;
      await run("podman", [
        "exec",
        "-i",
        SERVER_CONTAINER,
        "vigil-server",
        "user:add",
        "watcher",
        "--cameras",
        DEVICE,
        "--password-stdin",
      ], { stdin: `${PASSWORD}\n` });
    });

    await t.step("enroll the publisher container (token on stdin)", async () => {
      const r = await run("podman", [
        "run",
        "--rm",
        "-i",
        ...HARDENED,
        PUBLISHER_IMAGE,
        "enroll",
        "--server",
        "https://localhost:8443",
        "--ca-fingerprint",
        fingerprint,
        "--token-stdin",
      ], { stdin: `${token}\n` });
      assert.match(r.stdout, new RegExp(`enrolled as ${DEVICE}`));
    });

    await t.step("publisher container online and healthy", async () => {
      await run("podman", [
        "run",
        "-d",
        "--name",
        PUBLISHER_CONTAINER,
        ...HARDENED,
        PUBLISHER_IMAGE,
        "publish",
        "--source",
        "file",
        ...hostViewerNets(),
      ]);
      const deadline = Date.now() + 30_000;
      let logs = "";
      while (!/online as/.test(logs)) {
        if (Date.now() > deadline) throw new Error(`publisher not online:\n${logs}`);
        await new Promise((res) => setTimeout(res, 500));
        const r = await run("podman", ["logs", PUBLISHER_CONTAINER], { check: false });
        logs = r.stdout + r.stderr;
      }
      await waitHealthy(PUBLISHER_CONTAINER, 30_000);
    });

    await t.step("Chromium on the host logs in and decodes frames", async () => {
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        await page.goto("https://localhost:8443/");
        await page.getByTestId("username").fill("watcher");
        await page.getByTestId("password").fill(PASSWORD);
        await page.getByTestId("login-submit").click();
        await page.locator(`[data-testid="camera-${DEVICE}"][data-online="true"]`).waitFor({
          timeout: 15_000,
        });
        await page.getByTestId(`camera-${DEVICE}`).locator("a").click();
        const frames = () =>
          page.evaluate(() =>
            (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil
              .framesDecoded
          );
        const t0 = Date.now();
        await page.waitForFunction(
          () =>
            (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil
              .framesDecoded > 60,
          null,
          { timeout: 20_000 },
        );
        const n = await frames();
        console.log(`  frames decoded: ${n} (${Date.now() - t0} ms after opening the camera)`);
        assert.ok(n > 60);
      } finally {
        await browser.close();
      }
    });
  } finally {
    await cleanup();
  }
});
