/**
 * Both sides as real containers (`deno task test:containers`; skipped by `deno task test`):
 *
 * 1. base image `localhost/vigil-base:bookworm` from Debian + Deno from npm
 *    (containers/build-base.sh; skipped when the image exists),
 * 2. builds containers/server.Containerfile and containers/publisher.Containerfile on it
 *    (the publisher once with `EXTRA_PACKAGES=ffmpeg`, the compose default, checked to encode
 *    H.264 under the same hardening, and once without, the image the test runs),
 * 3. brings the server up with podman-compose (containers/compose.server.yml, bridge network,
 *    published ports 8443/8444, read-only root, no capabilities),
 * 4. enrolls the publisher with the documented command (podman-compose run of
 *    containers/compose.pi.yml, token on stdin), then brings it up with podman-compose too
 *    (file source, host networking). podman-compose 1.0.3 (Debian bookworm) is given
 *    containers/podman/podman-hostnet as its podman (see there and docs/DEPLOY.md),
 * 5. a headless Chromium on the host logs in and must decode frames,
 * 6. compose.server.yml's `turn` service (coturn in the server image, the hardened config, the
 *    TURN secret shared through the `turn` volume) gives a relay to the credential the server
 *    hands a viewer and refuses a forged one (tests/nat/_turn_probe.ts from the host),
 * 7. the cluster: with those projects down, containers/compose.cluster.yml (two nodes on
 *    PostgreSQL and NATS behind HAProxy; those three from containers/cluster/standin.Containerfile,
 *    Debian's packages standing in for the official images no registry gives here) after
 *    make-secrets.sh: both nodes ready and in rotation, one CA (sealed in PostgreSQL) served by
 *    both, operator commands with `podman-compose exec`, the publisher enrolled and streaming
 *    through the balancer, Chromium playing through it; then the node holding the device's
 *    channel is stopped: the device comes back through the other node and the page plays again.
 *
 * Uses containers/podman/containers.conf (runc, no default ulimits) through CONTAINERS_CONF.
 * Needs root, ports 8443/8444/3478 free. Under CI=true a missing tool fails; locally it is skipped.
 * Everything it creates (containers, volumes, networks, pods of the three compose projects; the
 * cluster's secrets unless they were there before) is removed before and after, also when a step
 * fails; the images stay as a build cache.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import { waitUntil } from "../helpers/wait.ts";
import { syntheticCommand } from "../../publisher/sources/commands.ts";
import { fingerprint256 } from "../../pki/mod.ts";

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
/** The same Containerfile with `EXTRA_PACKAGES=ffmpeg` (compose.pi.yml's default). */
const PUBLISHER_FFMPEG_IMAGE = "localhost/vigil-publisher:test-ffmpeg";
/** compose project of compose.server.yml */
const PROJECT = "vigiltest";
const SERVER_COMPOSE = ["-p", PROJECT, "-f", "containers/compose.server.yml"];
/** compose project of compose.pi.yml */
const PI_PROJECT = "vigiltestpi";
/** compose project of compose.cluster.yml */
const CLUSTER_PROJECT = "vigiltestcl";
const CLUSTER_COMPOSE = ["-p", CLUSTER_PROJECT, "-f", "containers/compose.cluster.yml"];
const NODES = ["node-a", "node-b"] as const;
type NodeId = typeof NODES[number];
const nodeContainer = (id: NodeId) => `${CLUSTER_PROJECT}_${id}_1`;
const HAPROXY_CONTAINER = `${CLUSTER_PROJECT}_haproxy_1`;
/** compose.cluster.yml's store, as its header gives it to operator commands in a node. */
const CLUSTER_STORE = [
  "--store",
  "postgres://vigil@postgres:5432/vigil",
  "--store-password-file",
  "/run/secrets/pg.password",
];
/** Where make-secrets.sh puts them and compose.cluster.yml mounts them from. */
const CLUSTER_SECRETS = `${CONTAINERS}/cluster/secrets`;
/** Stand-ins for the official PostgreSQL, NATS and HAProxy images (no registry here). */
const STANDIN_IMAGES = {
  postgres: "localhost/vigil-standin-postgres:test",
  nats: "localhost/vigil-standin-nats:test",
  haproxy: "localhost/vigil-standin-haproxy:test",
};
const SERVER_CONTAINER = `${PROJECT}_signaling_1`;
const TURN_CONTAINER = `${PROJECT}_turn_1`;
/** The host's first non-loopback IPv4: coturn's public address (published ports, 1:1). */
const HOST_IP =
  Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."))
    ?.address ?? "127.0.0.1";
const PUBLISHER_CONTAINER = `${PI_PROJECT}_publisher_1`;
/**
 * podman-compose with compose.pi.yml, as docs/DEPLOY.md writes it for podman-compose 1.0.3:
 * `--podman-path containers/podman/podman-hostnet` (a no-op with versions that handle
 * network_mode: host themselves).
 */
const PI_COMPOSE = [
  "--podman-path",
  "containers/podman/podman-hostnet",
  "-p",
  PI_PROJECT,
  "-f",
  "containers/compose.pi.yml",
];
const DEVICE = "container-cam";
const PASSWORD = "container-password-1";

const ENV: Record<string, string> = {
  CONTAINERS_CONF: Deno.env.get("CONTAINERS_CONF") ?? `${CONTAINERS}/podman/containers.conf`,
  CONTAINERS_STORAGE_CONF: Deno.env.get("CONTAINERS_STORAGE_CONF") ??
    `${CONTAINERS}/podman/storage.conf`,
  VIGIL_SERVER_IMAGE: SERVER_IMAGE,
  VIGIL_PUBLISHER_IMAGE: PUBLISHER_IMAGE,
  VIGIL_BASE_IMAGE: BASE,
  VIGIL_POSTGRES_IMAGE: STANDIN_IMAGES.postgres,
  VIGIL_NATS_IMAGE: STANDIN_IMAGES.nats,
  VIGIL_HAPROXY_IMAGE: STANDIN_IMAGES.haproxy,
  VIGIL_SAN: "localhost",
  // compose.pi.yml: set here so that the caller's environment cannot change the test
  VIGIL_SOURCE: "file",
  VIGIL_PUBLISH_ARGS: "",
  VIGIL_VIDEO_DEVICE: "/dev/null", // no camera here: the mapping is checked, the file source streams
  VIGIL_TURN_IP: HOST_IP,
  VIGIL_TURN_URLS: `turn:${HOST_IP}:3478?transport=udp`,
};

async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string; check?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: { ...ENV, ...opts.env },
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
  file = file.includes("/") ? file : `containers/${file}`;
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
    file,
    "-t",
    tag,
    ".",
  ]);
}

async function imageSize(tag: string): Promise<string> {
  const r = await run("podman", ["image", "inspect", tag, "--format", "{{.Size}}"]);
  return `${(Number(r.stdout.trim()) / 1e6).toFixed(0)} MB`;
}

/** Removes what the compose projects created, by their labels and names; never fails. */
async function cleanup(
  projects: [string, string[]][] = [
    [PI_PROJECT, PI_COMPOSE],
    [PROJECT, SERVER_COMPOSE],
    [CLUSTER_PROJECT, CLUSTER_COMPOSE],
  ],
) {
  const quiet = { check: false };
  for (const [project, args] of projects) {
    const label = `label=io.podman.compose.project=${project}`;
    // `down` with the compose file, then whatever it missed: one-off `run` containers left by
    // an interrupted run, and the project network that podman-compose 1.0.3 `down` leaves.
    await run("podman-compose", [...args, "down", "-v"], quiet);
    const ids = (await run("podman", ["ps", "-aq", "--filter", label], quiet)).stdout.split(/\s+/)
      .filter(Boolean);
    if (ids.length) await run("podman", ["rm", "-f", ...ids], quiet);
    const vols = (await run("podman", ["volume", "ls", "-q", "--filter", label], quiet)).stdout
      .split(/\s+/).filter(Boolean);
    if (vols.length) await run("podman", ["volume", "rm", "-f", ...vols], quiet);
    // Newer podman-compose releases put a project into a pod (`pod_<project>`); 1.0.3 makes none.
    await run("podman", ["pod", "rm", "-f", `pod_${project}`], quiet);
    await run("podman", ["network", "rm", "-f", `${project}_default`], quiet);
  }
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

/**
 * Enrolls the publisher with docs/DEPLOY.md's command (`podman-compose run`, token on stdin)
 * against the server (or balancer) at https://localhost:8443.
 */
async function enrollPublisher(token: string, fingerprint: string) {
  // podman-compose 1.0.3 exits 0 even when the container fails, so the output is what tells
  // (and the healthcheck of the started service, publisherUp).
  const r = await run("podman-compose", [
    ...PI_COMPOSE,
    "run",
    "--rm",
    "--no-deps",
    "-T",
    "publisher",
    "enroll",
    "--server",
    "https://localhost:8443",
    "--ca-fingerprint",
    fingerprint,
    "--token-stdin",
  ], { stdin: `${token}\n` });
  assert.match(r.stdout, new RegExp(`enrolled as ${DEVICE}`), r.stdout + r.stderr);
  const ps = await run("podman", [
    "ps",
    "-aq",
    "--filter",
    `label=io.podman.compose.project=${PI_PROJECT}`,
  ]);
  assert.equal(ps.stdout.trim(), "", "run --rm --no-deps leaves no container behind");
}

/** compose.pi.yml up (file source, host network): online and healthy. */
async function publisherUp() {
  await run("podman-compose", [...PI_COMPOSE, "up", "-d"], {
    env: { VIGIL_PUBLISH_ARGS: hostViewerNets().join(" ") },
  });
  const deadline = Date.now() + 30_000;
  let logs = "";
  while (!/online as/.test(logs)) {
    if (Date.now() > deadline) throw new Error(`publisher not online:\n${logs}`);
    await new Promise((res) => setTimeout(res, 500));
    const r = await run("podman", ["logs", PUBLISHER_CONTAINER], { check: false });
    logs = r.stdout + r.stderr;
  }
  await waitHealthy(PUBLISHER_CONTAINER, 30_000);
}

/** The viewer's page, as `watcher`, through https://localhost:8443: opens the camera. */
async function openCamera(page: Page) {
  await page.goto("https://localhost:8443/");
  await page.getByTestId("username").fill("watcher");
  await page.getByTestId("password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.locator(`[data-testid="camera-${DEVICE}"][data-online="true"]`).waitFor({
    timeout: 15_000,
  });
  await page.getByTestId(`camera-${DEVICE}`).locator("a").click();
}

type Vigil = { __vigil?: { state: string; framesDecoded: number } };

function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as Vigil).__vigil?.framesDecoded ?? 0);
}

/** Waits until the page plays and has decoded `more` frames beyond what it had. */
async function playing(page: Page, more: number, timeout: number) {
  const from = await framesDecoded(page);
  await page.waitForFunction(
    (n) => {
      const v = (globalThis as unknown as Vigil).__vigil;
      return v?.state === "playing" && v.framesDecoded > n;
    },
    from + more,
    { timeout },
  );
}

/**
 * A vigil-server command in a cluster node, in the documented form
 * (`podman-compose … exec node-a vigil-server …`; -T: no terminal here). podman-compose 1.0.3
 * exits 0 whatever the command's exit code and prints its own lines to stdout too, so the
 * caller checks the output.
 */
function clusterCommand(node: NodeId, args: string[], stdin?: string) {
  return run("podman-compose", [...CLUSTER_COMPOSE, "exec", "-T", node, "vigil-server", ...args], {
    stdin,
  });
}

/** A node's own /readyz status, from inside its container (trusting its CA). */
async function nodeReadyz(node: NodeId): Promise<number> {
  const code = `const client = Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(
    "/data/pki/ca.pem")] });
    console.log((await fetch("https://127.0.0.1:8443/readyz", { client })).status);`;
  const r = await run("podman", ["exec", nodeContainer(node), "deno", "eval", code], {
    check: false,
  });
  return Number(r.stdout.trim()) || 0;
}

/**
 * The `backend/server` pairs HAProxy has taken out of rotation: its servers start UP and it
 * logs (to stdout, in order) every change: "is DOWN", "is going DOWN for maintenance (DNS NX
 * status)", "is UP", "('node-a') is UP/READY (resolves again)".
 */
async function haproxyDown(): Promise<string[]> {
  const logs = (await run("podman", ["logs", HAPROXY_CONTAINER], { check: false })).stdout;
  const last = new Map<string, boolean>();
  for (const m of logs.matchAll(/Server (\w+\/[\w-]+) (?:\('[\w-]+'\) )?(.*)/g)) {
    if (/\bis (going )?DOWN|enters maintenance/.test(m[2])) last.set(m[1], false);
    else if (/\bis UP/.test(m[2])) last.set(m[1], true);
  }
  return [...last].filter(([, up]) => !up).map(([pair]) => pair);
}

/**
 * Whether a node resolves the store's and the bus's names now (a lookup that gets no answer
 * gives up after 1 s a server, not glibc's 5 s, twice).
 */
async function nodeResolves(node: NodeId): Promise<boolean> {
  const r = await run("podman", [
    "exec",
    "-e",
    "RES_OPTIONS=timeout:1 attempts:1",
    nodeContainer(node),
    "getent",
    "ahostsv4",
    "postgres",
    "nats",
  ], { check: false });
  return r.code === 0;
}

/** A node's address on the cluster's network. */
async function nodeAddress(node: NodeId): Promise<string> {
  return (await run("podman", [
    "inspect",
    nodeContainer(node),
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
  ])).stdout.trim();
}

/** The admin API through the balancer, as the `operator` account. */
async function adminApi(ca: string) {
  const client = Deno.createHttpClient({ caCerts: [ca] });
  const login = await fetch("https://localhost:8443/auth/login", {
    method: "POST",
    client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "operator", password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { accessToken } = await login.json();
  return {
    /** The node holding DEVICE's channel; null while it is offline or no node answers. */
    async deviceNode(): Promise<string | null> {
      try {
        const r = await fetch("https://localhost:8443/api/admin/devices", {
          client,
          headers: { authorization: `Bearer ${accessToken}` },
          signal: AbortSignal.timeout(2_000),
        });
        if (!r.ok) return null;
        const { devices } = await r.json() as {
          devices: { id: string; online: boolean; node: string | null }[];
        };
        const d = devices.find((d) => d.id === DEVICE);
        return d?.online ? d.node : null;
      } catch {
        return null; // the balancer's connection to a stopped node, until it is marked down
      }
    },
    close: () => client.close(),
  };
}

/** NAL unit types in an Annex-B stream (start codes 00 00 01 / 00 00 00 01). */
function nalTypes(b: Uint8Array): Set<number> {
  const types = new Set<number>();
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) types.add(b[i + 3] & 0x1f);
  }
  return types;
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
  const ownSecrets = !exists(CLUSTER_SECRETS);
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

    await t.step(
      "publisher image with EXTRA_PACKAGES=ffmpeg (compose.pi.yml's default)",
      async () => {
        await timed(
          "publisher image build (ffmpeg)",
          () =>
            build("publisher.Containerfile", PUBLISHER_FFMPEG_IMAGE, [
              "--build-arg",
              "EXTRA_PACKAGES=ffmpeg",
            ]),
        );
        console.log(`  ${PUBLISHER_FFMPEG_IMAGE}: ${await imageSize(PUBLISHER_FFMPEG_IMAGE)}`);
        const slim = await run("podman", [
          "run",
          "--rm",
          "--entrypoint",
          "sh",
          PUBLISHER_IMAGE,
          "-c",
          "command -v ffmpeg",
        ], { check: false });
        assert.notEqual(slim.code, 0, "EXTRA_PACKAGES= leaves ffmpeg out");
        // The synthetic source's own ffmpeg command (30 frames), as the deno user with the
        // runtime hardening of compose.pi.yml: it must produce H.264 with SPS, PPS and an IDR.
        const cmd = syntheticCommand({
          width: 320,
          height: 240,
          fps: 30,
          bitrateKbps: 300,
          gop: 30,
        });
        const args = [...cmd.args.slice(0, -1), "-frames:v", "30", cmd.args.at(-1)!];
        const child = new Deno.Command("podman", {
          args: [
            "run",
            "--rm",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--cap-drop=ALL",
            "--security-opt=no-new-privileges",
            "--network=none",
            "--entrypoint",
            cmd.binary,
            PUBLISHER_FFMPEG_IMAGE,
            ...args,
          ],
          cwd: ROOT,
          env: ENV,
          stdout: "piped",
          stderr: "piped",
        });
        const out = await child.output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        const types = nalTypes(out.stdout);
        assert.ok(types.has(7) && types.has(8) && types.has(5), `NAL types ${[...types]}`);
        console.log(`  synthetic ffmpeg in the image: ${out.stdout.length} bytes of H.264`);
      },
    );

    await t.step("server up with podman-compose, healthy", async () => {
      await timed("server up", async () => {
        await run("podman-compose", [...SERVER_COMPOSE, "up", "-d"]);
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

    await t.step("enroll the publisher with podman-compose run (token on stdin)", async () => {
      await timed("enroll", () => enrollPublisher(token, fingerprint));
    });

    await t.step("publisher up with podman-compose (host network), online, healthy", async () => {
      await timed("publisher up", () => publisherUp());
      const inspect = await run("podman", [
        "inspect",
        PUBLISHER_CONTAINER,
        "--format",
        "{{.HostConfig.NetworkMode}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} " +
        "{{.HostConfig.SecurityOpt}} {{.Config.User}} {{range .HostConfig.Devices}}{{.PathInContainer}}{{end}} " +
        "{{.HostConfig.GroupAdd}}",
      ]);
      assert.match(inspect.stdout, /^host true /, "host network, read-only root fs");
      assert.match(inspect.stdout, /\/dev\/video0/, "camera device mapped");
      assert.match(inspect.stdout, /video/, "video group added");
      assert.match(inspect.stdout, /no-new-privileges/);
      assert.match(inspect.stdout, / deno /, "runs as the deno user");
    });

    await t.step("the compose turn service relays with the server's credential", async () => {
      const turn = await run("podman", [
        "inspect",
        TURN_CONTAINER,
        "--format",
        "{{.State.Status}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}",
      ]);
      assert.match(turn.stdout, /^running true /, `turn container: ${turn.stdout}`);
      const ca = (await run("podman", ["exec", SERVER_CONTAINER, "cat", "/data/pki/ca.pem"]))
        .stdout;
      const client = Deno.createHttpClient({ caCerts: [ca] });
      try {
        const login = await fetch("https://localhost:8443/auth/login", {
          method: "POST",
          client,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "watcher", password: PASSWORD }),
        });
        assert.equal(login.status, 200);
        const { accessToken } = await login.json();
        const res = await fetch(`https://localhost:8443/whep/${DEVICE}/ice-servers`, {
          client,
          headers: { authorization: `Bearer ${accessToken}` },
        });
        assert.equal(res.status, 200);
        const { iceServers } = await res.json() as {
          iceServers: { urls: string[]; username?: string; credential?: string }[];
        };
        const server = iceServers.find((s) => s.urls.some((u) => u.startsWith("turn:")));
        assert.ok(server?.username && server.credential, JSON.stringify(iceServers));
        const allocate = async (password: string) => {
          const child = new Deno.Command("deno", {
            args: [
              "run",
              "--allow-net",
              "--allow-sys=networkInterfaces",
              "--ignore-env",
              `${ROOT}/tests/nat/_turn_probe.ts`,
              JSON.stringify({
                op: "allocate",
                server: `${HOST_IP}:3478`,
                username: server.username,
                password,
              }),
            ],
            cwd: ROOT,
            stdout: "piped",
            stderr: "piped",
          });
          const out = await child.output();
          const last = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
          return JSON.parse(last) as { ok: boolean; relayed?: string; code?: number }[];
        };
        const [good] = await allocate(server.credential!);
        assert.equal(good.ok, true, JSON.stringify(good));
        assert.ok(good.relayed?.startsWith(`${HOST_IP}:`), JSON.stringify(good));
        console.log(`  relay from the compose turn service: ${good.relayed}`);
        const [forged] = await allocate("forged-credential");
        assert.equal(forged.ok, false);
        assert.equal(forged.code, 401, JSON.stringify(forged));
      } finally {
        client.close();
      }
    });

    await t.step("Chromium on the host logs in and decodes frames", async () => {
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
        await openCamera(page);
        const t0 = Date.now();
        await playing(page, 60, 20_000);
        console.log(
          `  frames decoded: ${await framesDecoded(page)} (${
            Date.now() - t0
          } ms after opening the camera)`,
        );
      } finally {
        await browser.close();
      }
    });

    await t.step(
      "cluster stand-in images (Debian's postgresql-15, nats-server, haproxy)",
      async () => {
        for (const [role, tag] of Object.entries(STANDIN_IMAGES)) {
          await timed(
            `stand-in ${role} build`,
            () =>
              build("containers/cluster/standin.Containerfile", tag, [
                "--build-arg",
                `ROLE=${role}`,
              ]),
          );
          console.log(`  ${tag}: ${await imageSize(tag)}`);
        }
      },
    );

    let ca = "";
    await t.step("cluster up with podman-compose: both nodes ready, in rotation", async () => {
      // The cluster publishes the same ports and runs its own turn service.
      await timed(
        "single-server projects down",
        () => cleanup([[PI_PROJECT, PI_COMPOSE], [PROJECT, SERVER_COMPOSE]]),
      );
      await run(`${CONTAINERS}/cluster/make-secrets.sh`, []);
      for (const f of ["kek", "pg.password", "nats.password", "nats.conf"]) {
        assert.equal(Deno.statSync(`${CLUSTER_SECRETS}/${f}`).mode! & 0o777, 0o600, f);
      }
      await timed("cluster up", async () => {
        await run("podman-compose", [...CLUSTER_COMPOSE, "up", "-d"]);
        for (const node of NODES) await waitHealthy(nodeContainer(node), 150_000);
        ca = (await run("podman", ["exec", nodeContainer("node-a"), "cat", "/data/pki/ca.pem"]))
          .stdout;
        const client = Deno.createHttpClient({ caCerts: [ca] });
        try {
          await waitUntil(
            async () => {
              const ready = await Promise.all(NODES.map(nodeReadyz));
              if (ready.some((s) => s !== 200) || (await haproxyDown()).length) return false;
              const r = await fetch("https://localhost:8443/readyz", { client }).catch(() => null);
              await r?.body?.cancel();
              return r?.status === 200;
            },
            150_000,
            "both nodes ready and HAProxy in front of both",
          );
        } finally {
          client.close();
        }
      });
      // aardvark-dns 1.4 (Debian bookworm's podman) can leave a container's lookups unanswered
      // for tens of seconds after others join the network (containers/aardvark-dns#389; seen
      // here: 20-55 s, about 1 run in 4). The nodes ride it out (already connected, or unready and
      // retrying); an operator command started in it fails to reach the store. So: names first.
      await timed("node names resolving in both nodes", async () => {
        for (const node of NODES) {
          await waitUntil(() => nodeResolves(node), 150_000, `DNS answering in ${node}`);
        }
      });
      for (const node of NODES) {
        const inspect = await run("podman", [
          "inspect",
          nodeContainer(node),
          "--format",
          "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} " +
          "{{.Config.User}}",
        ]);
        assert.match(inspect.stdout, /^true /, `${node}: read-only root fs`);
        assert.match(inspect.stdout, /no-new-privileges/, node);
        assert.match(inspect.stdout, / deno\s*$/, `${node} runs as the deno user`);
      }
    });

    let clusterFingerprint = "";
    await t.step("one CA for both nodes, created once and sealed in PostgreSQL", async () => {
      // Each node's healthcheck (above) fetched /pki/ca from it and compared it with its ca.pem.
      const pems = await Promise.all(
        NODES.map(async (node) =>
          (await run("podman", ["exec", nodeContainer(node), "cat", "/data/pki/ca.pem"])).stdout
        ),
      );
      const [a, b] = pems.map(fingerprint256);
      assert.equal(a, b, "node-a and node-b serve one CA");
      clusterFingerprint = a;
      const client = Deno.createHttpClient({ caCerts: [ca] });
      const served = await (await fetch("https://localhost:8443/pki/ca", { client })).text();
      client.close();
      assert.equal(fingerprint256(served), clusterFingerprint, "the balancer serves it");
      const sealed = (await run("podman", [
        "exec",
        `${CLUSTER_PROJECT}_postgres_1`,
        "psql",
        "-U",
        "vigil",
        "-d",
        "vigil",
        "-Atc",
        "SELECT sealed FROM sealed_keys WHERE name = 'ca'",
      ])).stdout.trim();
      assert.match(sealed, /^v1\./, "the CA is in the store, sealed");
      assert.doesNotMatch(sealed, /PRIVATE KEY/);
      console.log(`  cluster CA ${clusterFingerprint.slice(0, 23)}… on both nodes`);
    });

    let clusterToken = "";
    await t.step("operator commands with podman-compose exec, on the shared store", async () => {
      const added = await clusterCommand("node-a", [
        "device:add",
        DEVICE,
        "--server-url",
        "https://localhost:8443",
        ...CLUSTER_STORE,
        "--json",
      ]);
      const json = added.stdout.slice(
        added.stdout.indexOf("\n{") + 1,
        added.stdout.lastIndexOf("}") + 1,
      );
      const device = JSON.parse(json || "null");
      assert.ok(device?.token, added.stdout + added.stderr);
      assert.equal(device.caFingerprint, clusterFingerprint);
      clusterToken = device.token;
      // Users through the other node: one store.
      for (const [name, extra] of [["watcher", []], ["operator", ["--admin"]]] as const) {
        const r = await clusterCommand(
          "node-b",
          ["user:add", name, "--cameras", DEVICE, ...extra, "--password-stdin", ...CLUSTER_STORE],
          `${PASSWORD}\n`,
        );
        assert.match(r.stdout, new RegExp(`user "${name}" added`), r.stdout + r.stderr);
      }
    });

    await t.step("the publisher enrolled and online through the balancer", async () => {
      await timed(
        "enroll through HAProxy",
        () => enrollPublisher(clusterToken, clusterFingerprint),
      );
      await timed("publisher up (cluster)", () => publisherUp());
    });

    await t.step(
      "Chromium plays through HAProxy; the device's node stopped: failover",
      async () => {
        const api = await adminApi(ca);
        const browser = await launchChromium();
        try {
          let on: string | null = null;
          await waitUntil(async () => !!(on = await api.deviceNode()), 15_000, "device online");
          const holder = on! as NodeId;
          const other = NODES.find((n) => n !== holder)!;
          const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
          await openCamera(page);
          const t0 = Date.now();
          await playing(page, 60, 20_000);
          console.log(
            `  frames decoded through HAProxy: ${await framesDecoded(page)} (${
              Date.now() - t0
            } ms after opening the camera); device on ${holder}`,
          );
          const address = await nodeAddress(holder);
          const stop = performance.now();
          const stopped = run("podman", ["stop", "-t", "5", nodeContainer(holder)]);
          await waitUntil(
            async () => await api.deviceNode() === other,
            30_000,
            `device on ${other}`,
          );
          const device = (performance.now() - stop) / 1000;
          await playing(page, 30, 30_000);
          const played = (performance.now() - stop) / 1000;
          await stopped;
          console.log(
            `failover: ${holder} stopped; device online on ${other} after ${
              device.toFixed(1)
            } s, page playing again after ${played.toFixed(1)} s`,
          );
          // Started again, the container may have another address: HAProxy re-resolves its name.
          const start = performance.now();
          await run("podman", ["start", nodeContainer(holder)]);
          await waitUntil(
            async () => await nodeReadyz(holder) === 200 && (await haproxyDown()).length === 0,
            120_000,
            `${holder} back in HAProxy's rotation`,
          );
          console.log(
            `  ${holder} started again (${address} → ${await nodeAddress(holder)}): in rotation ${
              ((performance.now() - start) / 1000).toFixed(1)
            } s later`,
          );
        } finally {
          await browser.close();
          api.close();
        }
      },
    );
  } finally {
    await cleanup();
    if (ownSecrets) await Deno.remove(CLUSTER_SECRETS, { recursive: true }).catch(() => {});
  }
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
