/**
 * vigil deployed in the simulated internet: the signaling server in
 * "public" (least-privilege flags as `serve` computes them), a camera
 * enrolled and publishing from "home" (through the real `enroll` and
 * `publish` launchers), and headless Chromium with vigil's viewer app in a
 * viewer namespace ("mobile" or "homeV"), driven over playwright's pipe.
 *
 * Everything inside the namespaces reaches only addresses of the topology:
 * the Deno cache and the built viewer are prepared beforehand in the root
 * namespace (the test's own process).
 * @module
 */
import type { Browser, Page } from "playwright-core";
import { buildWeb } from "../../subscriber-web/build.ts";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { serverFlags } from "../../signaling/config/flags.ts";
import { addDevice, userAdd } from "../../signaling/admin/commands.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { startLocalPublisher, stopProcess } from "../helpers/publisher_process.ts";
import { ADDR, type Role, runCommand, type Topology } from "./_topology.ts";
import { iceServersChanged, loadIceServerUrls } from "../../publisher/device/ice_servers_state.ts";
import { parseIceServerUrl } from "../../lib/ice_urls.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const CAMERA = "nat-cam";
const USER = "roaming-viewer";
const PASSWORD = "roaming-viewer-password-1";

/** An ICE server as the server config and RTCPeerConnection take it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** A running deployment. */
export interface Deployment {
  /** `https://203.0.113.10:8443`. */
  base: string;
  camera: string;
  dataDir: string;
  /**
   * Starts the publisher in "home"; `viewerNets` become its `--viewer-net`s.
   * With ICE servers on the server its first start stores them and exits 75;
   * this waits until the launcher's relaunch is online with the new grants.
   */
  startPublisher(viewerNets: string[]): Promise<void>;
  /** The publisher's flags as its launcher computes them now (`--print-flags`). */
  publisherFlags(): Promise<string[]>;
  /** pid of the publisher's launcher (`deno task publish`), or null before it started. */
  publisherLauncherPid(): number | null;
  /** A logged-in viewer page in `role`, the camera opened. */
  openViewer(role: Role, o?: { rtcConfiguration?: RTCConfiguration }): Promise<Viewer>;
  /** The publisher's log so far. */
  publisherLog(): Promise<string>;
  stop(): Promise<void>;
}

/** What the viewer page's RTCPeerConnections did (recorded by an init script). */
export interface PeerReport {
  sessions: number;
  everConnected: boolean;
  /** Selected candidate pair of the newest connection, from getStats(). */
  selected: { local: string; remote: string; localAddress: string; remoteAddress: string } | null;
  /** Ports of the newest connection's local host candidates (the sockets it sends from). */
  hostPorts: number[];
}

/** One viewer page. */
export interface Viewer {
  page: Page;
  frames(): Promise<number>;
  sessionUrl(): Promise<string | null>;
  peers(): Promise<PeerReport>;
  close(): Promise<void>;
}

/**
 * Records every RTCPeerConnection the app creates (for getStats) and, when
 * given, merges an RTCConfiguration into it: the stand-in for the ICE
 * servers the viewer will fetch from the server once TURN is integrated.
 */
function recorderScript(override: RTCConfiguration | null): string {
  return `(() => {
    const override = ${JSON.stringify(override)};
    const Native = globalThis.RTCPeerConnection;
    const pcs = [];
    const state = { everConnected: false };
    class Recorded extends Native {
      constructor(config) {
        super(override ? { ...(config ?? {}), ...override } : config);
        pcs.push(this);
        this.addEventListener("connectionstatechange", () => {
          if (this.connectionState === "connected") state.everConnected = true;
        });
      }
    }
    Object.defineProperty(globalThis, "RTCPeerConnection", { value: Recorded, configurable: true });
    globalThis.__natTest = { pcs, state };
  })();`;
}

/** The server's STUN/TURN options (`--ice-server`, `--turn-secret-file`, `--turn-ttl`). */
export interface IceOptions {
  urls: string[];
  /** coturn's shared secret (0600). */
  secretFile?: string;
  /** e.g. "2s". */
  ttl?: string;
}

/** Starts the server in "public", enrolls the camera from "home", creates the viewer account. */
export async function startDeployment(
  topo: Topology,
  o: { ice?: IceOptions; artifacts: string },
): Promise<Deployment> {
  const work = await Deno.makeTempDir({ prefix: "vigil-nat-" });
  const dataDir = `${work}/data`;
  const webDir = `${work}/web`;
  const stateDir = `${work}/state`;
  const cleanups: (() => Promise<void>)[] = [async () => {
    await Deno.remove(work, { recursive: true });
  }];
  const browsers: Browser[] = [];
  let publisher: Deno.ChildProcess | null = null;
  const publisherLogPath = `${o.artifacts}/publisher-${topo.prefix}.log`;
  await Deno.remove(publisherLogPath).catch(() => {});

  const stop = async () => {
    for (const b of browsers) await b.close().catch(() => {});
    if (publisher) await stopProcess(publisher, 5_000).catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };

  try {
    await buildWeb({ outDir: webDir, minify: true });
    await Deno.mkdir(dataDir, { recursive: true });
    const serveArgs = [
      "--data-dir",
      dataDir,
      "--host",
      "0.0.0.0",
      "--port",
      "8443",
      "--device-port",
      "8444",
      "--san",
      ADDR.pub,
      "--web-dir",
      webDir,
      ...(o.ice?.urls ?? []).flatMap((u) => ["--ice-server", u]),
      ...(o.ice?.secretFile ? ["--turn-secret-file", o.ice.secretFile] : []),
      ...(o.ice?.ttl ? ["--turn-ttl", o.ice.ttl] : []),
    ];
    // What `deno task serve` runs: signaling/main.ts under serverFlags.
    const server = topo.spawn("pub", "deno", [
      "run",
      ...serverFlags(parseServeArgs(serveArgs, null)),
      `${REPO}signaling/main.ts`,
      ...serveArgs,
    ], { stdout: "piped", stderr: "piped", stdin: "null" });
    cleanups.push(() => stopProcess(server, 5_000));
    const fingerprint = await waitForLine(
      server,
      /vigil: CA fingerprint \(SHA-256\) (\S+)/,
      30_000,
      "server",
    );

    const base = `https://${ADDR.pub}:8443`;
    const added = await addDevice(dataDir, {
      id: CAMERA,
      label: "Camera at home",
      ttlMs: 120_000,
      serverUrl: base,
    });
    const enroll = await topo.run("home", "deno", [
      "run",
      "--allow-read",
      "--allow-run=deno",
      `${REPO}scripts/device_launch.ts`,
      "enroll",
      "--server",
      base,
      "--token-stdin",
      "--ca-fingerprint",
      fingerprint ?? added.caFingerprint,
      "--state-dir",
      stateDir,
    ], { stdin: added.token, timeoutMs: 60_000 });
    if (enroll.code !== 0) throw new Error(`enroll from home failed: ${enroll.stderr.slice(-800)}`);
    await userAdd(dataDir, { name: USER, password: PASSWORD, cameras: [CAMERA] });

    const publishArgv = (viewerNets: string[]) => [
      "run",
      "--allow-read",
      "--allow-run=deno",
      "--allow-env=GLIBC_TUNABLES",
      "--allow-sys=networkInterfaces",
      `${REPO}scripts/publish.ts`,
      "--state-dir",
      stateDir,
      "--source",
      "file",
      ...viewerNets.flatMap((n) => ["--viewer-net", n]),
    ];
    return {
      base,
      camera: CAMERA,
      dataDir,
      async startPublisher(viewerNets) {
        if (publisher) await stopProcess(publisher, 5_000);
        const stored = await loadIceServerUrls(stateDir);
        publisher = await startLocalPublisher(stateDir, {
          logFile: publisherLogPath,
          argv: topo.argv("home", "deno", publishArgv(viewerNets)),
          timeoutMs: 60_000,
        });
        const announced = (o.ice?.urls ?? []).map((u) => parseIceServerUrl(u))
          .flatMap((r) => r.ok ? [r.url.href] : []).sort();
        if (iceServersChanged(stored, announced)) {
          // The first run learned the servers, stored them and exited 75: wait for the relaunch.
          const deadline = Date.now() + 60_000;
          while (!/online as/.test(await Deno.readTextFile(publisherLogPath).catch(() => ""))) {
            if (Date.now() > deadline) throw new Error("the publisher was not relaunched");
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      },
      publisherLauncherPid: () => publisher?.pid ?? null,
      async publisherFlags() {
        const r = await topo.run("home", "deno", [...publishArgv([]), "--print-flags"]);
        if (r.code !== 0) throw new Error(`publish --print-flags: ${r.stderr}`);
        return r.stdout.trim().split(" ");
      },
      async openViewer(role, vo = {}) {
        const browser = await launchChromium([], {
          executablePath: await namespacedChromium(topo, role, work),
        });
        browsers.push(browser);
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        await context.addInitScript(recorderScript(vo.rtcConfiguration ?? null));
        const page = await context.newPage();
        await page.goto(`${base}/`, { timeout: 30_000 });
        await page.getByTestId("username").fill(USER);
        await page.getByTestId("password").fill(PASSWORD);
        await page.getByTestId("login-submit").click();
        const card = page.locator(`[data-testid="camera-${CAMERA}"][data-online="true"]`);
        await card.waitFor({ timeout: 20_000 });
        await page.getByTestId(`camera-${CAMERA}`).locator("a").click();
        return {
          page,
          frames: () =>
            page.evaluate(() =>
              (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil
                .framesDecoded
            ),
          sessionUrl: () =>
            page.evaluate(() =>
              (globalThis as unknown as { __vigil: { sessionUrl: string | null } }).__vigil
                .sessionUrl
            ),
          peers: () => page.evaluate(peerReport),
          close: () => context.close(),
        };
      },
      publisherLog: () => Deno.readTextFile(publisherLogPath).catch(() => ""),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs in the page: the recorded connections and the newest one's selected candidate pair. */
async function peerReport(): Promise<PeerReport> {
  const t = (globalThis as unknown as {
    __natTest: { pcs: RTCPeerConnection[]; state: { everConnected: boolean } };
  }).__natTest;
  const pc = t.pcs.at(-1);
  let selected: PeerReport["selected"] = null;
  const hostPorts: number[] = [];
  if (pc) {
    const stats = await pc.getStats();
    const byId = new Map<string, Record<string, unknown>>();
    stats.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
    for (const s of byId.values()) {
      if (s.type === "local-candidate" && s.candidateType === "host" && s.protocol === "udp") {
        hostPorts.push(Number(s.port));
      }
      if (s.type !== "transport" || !s.selectedCandidatePairId) continue;
      const pair = byId.get(s.selectedCandidatePairId as string);
      const local = pair && byId.get(pair.localCandidateId as string);
      const remote = pair && byId.get(pair.remoteCandidateId as string);
      if (local && remote) {
        selected = {
          local: String(local.candidateType),
          remote: String(remote.candidateType),
          localAddress: `${local.address}:${local.port}`,
          remoteAddress: `${remote.address}:${remote.port}`,
        };
      }
    }
  }
  return { sessions: t.pcs.length, everConnected: t.state.everConnected, selected, hostPorts };
}

/** A Chromium "binary" that is Debian's Chromium entered into `role`'s namespace. */
async function namespacedChromium(topo: Topology, role: Role, dir: string): Promise<string> {
  const path = `${dir}/chromium-${role}.sh`;
  const [ip, ...rest] = topo.argv(role, CHROMIUM, []);
  const which = await runCommand("sh", ["-c", `command -v ${ip}`]);
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\n# playwright talks to Chromium over inherited pipes, which ip netns exec keeps.\nexec ${which.stdout.trim()} ${
      rest.join(" ")
    } "$@"\n`,
    { mode: 0o755 },
  );
  await Deno.chmod(path, 0o755);
  return path;
}

/** Reads `child`'s stdout until `re` matches (returns group 1), then drains the rest. */
async function waitForLine(
  child: Deno.ChildProcess,
  re: RegExp,
  timeoutMs: number,
  what: string,
): Promise<string | undefined> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const errText = new Response(child.stderr).text();
  let seen = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (true) {
      const m = re.exec(seen);
      if (m) return m[1];
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${what} not ready within ${timeoutMs} ms: ${seen.slice(-500)}`);
      }
      const r = await Promise.race([
        reader.read(),
        new Promise<null>((res) => setTimeout(() => res(null), left)),
      ]);
      if (r === null) continue;
      if (r.done) {
        throw new Error(`${what} exited: ${seen.slice(-500)} ${(await errText).slice(-1500)}`);
      }
      seen += r.value;
    }
  } finally {
    // Keep reading so the child never blocks on a full pipe.
    (async () => {
      try {
        while (!(await reader.read()).done) { /* drain */ }
      } catch { /* closed */ }
    })();
  }
}
