/**
 * The publisher's per-viewer cost on each send path, measured the same way in
 * the same run: werift's RTP sender (before) and the direct SRTP path (after,
 * publisher/peer/werift_direct.ts). For each path a fresh publisher (launcher
 * flags, `--send-path`) is measured idle and with 1, 2, 4, 8 Chromium WHEP
 * viewers ({@linkcode measureScaling}: slope, first-viewer surcharge, RSS),
 * then with 16 werift viewers (RSS, frame rate, loss).
 *
 * `deno run -A bench/send_path.ts [ROUNDS]` runs this section alone
 * (BENCH_WINDOW_S, default 10).
 *
 * @module
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import type { SendPath } from "../publisher/peer/viewer_peer.ts";
import { type BenchPublisher, startBenchPublisher } from "./lib/publisher.ts";
import { round } from "./lib/stats.ts";
import { type CostRow, idleCost, rssAfter, weriftCost } from "./publisher_cost.ts";
import { chromiumWhepViewers, measureScaling, type ScalingResult } from "./publisher_scaling.ts";

/** One path's figures. */
export interface SendPathResult {
  sendPath: SendPath;
  round: number;
  chromium: ScalingResult;
  /** 16 werift viewers. */
  werift16: CostRow;
}

/** Where and how to run the publishers. */
export interface SendPathBenchOptions {
  browser: Browser;
  workDir: string;
  dataDir: string;
  base: string;
  /** Camera ids to use, one per publisher started (registered by the caller for `user`). */
  cameras: string[];
  user: string;
  password: string;
  caFile: string;
  /** The publisher's source config. */
  source: Record<string, unknown>;
  windowS: number;
  /** Rounds; each measures both paths, alternating which goes first (default 1). */
  rounds?: number;
  log: (message: string) => void;
}

/** Logs in as a viewer and returns an access token (POST /auth/login). */
export async function viewerToken(
  base: string,
  user: string,
  password: string,
  caPem: string,
): Promise<string> {
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  try {
    const res = await fetch(`${base}/auth/login`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: user, password }),
    });
    if (res.status !== 200) throw new Error(`login ${res.status}: ${await res.text()}`);
    return (await res.json()).accessToken;
  } finally {
    client.close();
  }
}

/** Measures every path `rounds` times; one publisher per path and round. */
export async function benchSendPaths(o: SendPathBenchOptions): Promise<SendPathResult[]> {
  const rounds = o.rounds ?? 1;
  const caPem = await Deno.readTextFile(o.caFile);
  const out: SendPathResult[] = [];
  let camera = 0;
  for (let r = 0; r < rounds; r++) {
    const order: SendPath[] = r % 2 === 0 ? ["werift", "direct"] : ["direct", "werift"];
    for (const sendPath of order) {
      const id = o.cameras[camera++ % o.cameras.length];
      o.log(`send path ${sendPath} (round ${r + 1}/${rounds}), camera ${id}…`);
      let pub: BenchPublisher | null = null;
      try {
        pub = await startBenchPublisher({
          workDir: join(o.workDir, `send-path-${r}-${sendPath}`),
          dataDir: o.dataDir,
          base: o.base,
          camera: id,
          source: o.source,
          extra: ["--max-viewers", "20", "--send-path", sendPath],
        });
        const chromium = await measureScaling(
          pub.pid,
          chromiumWhepViewers(o.browser, {
            origin: `${o.base}/`,
            endpoint: `${o.base}/whep/${id}`,
            token: () => viewerToken(o.base, o.user, o.password, caPem),
          }),
          { windowS: o.windowS, log: (m) => o.log(`  ${m}`) },
        );
        const idle = await idleCost(pub.pid, Math.min(5, o.windowS));
        const werift16 = await weriftCost(
          { base: o.base, user: o.user, password: o.password, camera: id, caFile: o.caFile },
          pub.pid,
          16,
          o.windowS,
          idle,
          o.log,
        );
        await rssAfter(pub.pid, werift16);
        o.log(
          `  slope ${round(chromium.slopeCpuPerViewer, 4)} CPU-s/s per viewer, surcharge ${
            round(chromium.firstViewerSurchargeCpuPerS, 4)
          }, idle ${round(chromium.idle.cpuPerS, 4)}; 16 werift: RSS max ${
            round(werift16.rssMaxMiB)
          } MiB, lost ${werift16.perViewer.reduce((s, p) => s + p.packetsLost, 0)}`,
        );
        out.push({ sendPath, round: r, chromium, werift16 });
      } finally {
        await pub?.stop();
      }
    }
  }
  return out;
}

if (import.meta.main) {
  const { userAdd } = await import("../signaling/admin/commands.ts");
  const { startTestServer } = await import("../tests/helpers/server.ts");
  const { launchChromium } = await import("../tests/helpers/browser.ts");
  const { makeClip } = await import("./lib/publisher.ts");
  const { progressLog } = await import("./lib/stats.ts");
  const { countSetting } = await import("./lib/args.ts");
  const rounds = countSetting("ROUNDS", Deno.args[0], 1, 1, 10);
  const windowS = countSetting("BENCH_WINDOW_S", Deno.env.get("BENCH_WINDOW_S"), 10, 1, 600);
  const log = progressLog();
  const work = await Deno.makeTempDir({ prefix: "vigil-media-sendpath-" });
  const s = await startTestServer({ maxSessionsPerViewer: 40, maxSessionsPerCamera: 40 });
  const browser = await launchChromium();
  try {
    const cameras = ["sp-a", "sp-b", "sp-c", "sp-d"];
    const password = `bench-${crypto.randomUUID()}`;
    await userAdd(s.dataDir, { name: "bench", password, cameras });
    const caFile = join(work, "ca.pem");
    await Deno.writeTextFile(caFile, s.ctx.pki.caPem);
    const clip = join(work, "clip.h264");
    await makeClip(clip, { width: 1280, height: 720, fps: 30, kbps: 2000, seconds: 10, gop: 30 });
    const results = await benchSendPaths({
      browser,
      workDir: work,
      dataDir: s.dataDir,
      base: s.base,
      cameras,
      user: "bench",
      password,
      caFile,
      source: { kind: "file", path: clip },
      windowS,
      rounds,
      log,
    });
    console.log(JSON.stringify(results));
  } finally {
    await browser.close().catch(() => {});
    await s.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  Deno.exit(0);
}
