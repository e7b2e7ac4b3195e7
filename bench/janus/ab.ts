/**
 * vigil's publisher beside Janus 1.1 in the same run, alternating A/B so that
 * drift on this shared machine falls on both alike: idle windows, then 1, 2,
 * 4 and 8 headless Chromium viewers of each (the order flips at every level
 * and every round), then answer → first frame calls taking turns. vigil's
 * side is measured by bench/publisher_cost.ts's own functions (built viewer
 * pages, publisher/main.ts's /proc accounting); Janus's by the same method
 * (bench/janus/viewers.ts), on the same clip fed over RTP by ffmpeg.
 *
 * Library use (inside `deno task bench`): {@linkcode benchJanusAb}.
 * Standalone: `deno run -A bench/janus/ab.ts` starts its own server, publisher,
 * Janus and Chromium and prints the result as JSON (env: BENCH_WINDOW_S,
 * BENCH_TTFF_RUNS, BENCH_JANUS_ROUNDS).
 * @module
 */
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { chromiumCost, type CostRow, idleCost } from "../publisher_cost.ts";
import type { ViewerLogin } from "../ttff.ts";
import { median, quantile, round, sleep } from "../lib/stats.ts";
import { JanusSession } from "./api.ts";
import { abFigures, type Judged, type LineFit } from "./compare.ts";
import { type RunningJanus, startJanus } from "./server.ts";
import {
  type Ciphers,
  janusChromiumCost,
  type JanusCostRow,
  janusFirstFrame,
  janusIdle,
  janusTtffPage,
  viewerToken,
  vigilFirstFrame,
} from "./viewers.ts";

/** Options of {@linkcode benchJanusAb}. */
export interface JanusAbOptions {
  browser: Browser;
  /** The running vigil publisher of `login.camera`, playing `clipPath`. */
  vigilPid: number;
  login: ViewerLogin;
  /** HTTP client trusting the vigil server's CA (for the WHEP calls). */
  client: Deno.HttpClient;
  /** The clip the vigil publisher plays (raw H.264) and its frame rate. */
  clipPath: string;
  fps: number;
  windowS: number;
  ttffRuns: number;
  /** Viewer levels (default 1, 2, 4, 8). */
  levels?: number[];
  /** A/B rounds over all levels (default 2). */
  rounds?: number;
  log: (m: string) => void;
}

/** One system's answer → first frame series. */
export interface AbTtff extends Ciphers {
  medianMs: number;
  p95Ms: number;
  samplesMs: number[];
  method: string;
}

/** Everything the A/B section measured. */
export interface JanusAbResult {
  janusVersion: string;
  config: { levels: number[]; rounds: number; windowS: number; ttffRuns: number };
  idle: { vigil: CostRow[]; janus: JanusCostRow[] };
  levels: {
    round: number;
    viewers: number;
    first: "vigil" | "janus";
    vigil: CostRow;
    janus: JanusCostRow;
  }[];
  ttff: { vigil: AbTtff; janus: AbTtff };
  fit: { vigil: LineFit; janus: LineFit };
  figures: Judged[];
}

/** Janus's version line (`janus --version`), e.g. "1.1.2". */
export async function janusVersion(binary = "janus"): Promise<string> {
  const out = await new Deno.Command(binary, { args: ["--version"], stderr: "null" }).output();
  const text = new TextDecoder().decode(out.stdout);
  return /\(([\d.]+)\)/.exec(text)?.[1] ?? text.split("\n")[0].trim();
}

/** Waits until the mountpoint has had RTP in the last second. */
async function waitForRtp(j: RunningJanus, timeoutMs = 10_000): Promise<void> {
  const session = await JanusSession.create(j.apiBase);
  try {
    const h = await session.attachStreaming();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await h.info(j.mountpointId);
      const media = (info.media ?? []) as { age_ms?: number }[];
      if (media.some((m) => typeof m.age_ms === "number" && m.age_ms < 1000)) return;
      if (Date.now() > deadline) throw new Error(`janus: no RTP from ffmpeg: ${j.log()}`);
      await sleep(200);
    }
  } finally {
    await session.destroy();
  }
}

function series(samples: number[], method: string, c: Ciphers): AbTtff {
  return {
    medianMs: round(median(samples)),
    p95Ms: round(quantile(samples, 0.95)),
    samplesMs: samples,
    method,
    ...c,
  };
}

/** Runs the A/B comparison; Janus is started and stopped here. */
export async function benchJanusAb(o: JanusAbOptions): Promise<JanusAbResult> {
  const levels = o.levels ?? [1, 2, 4, 8];
  const rounds = o.rounds ?? 2;
  const version = await janusVersion();
  o.log(`janus ${version}: generated configuration, streaming plugin, ffmpeg RTP feeder…`);
  const j = await startJanus({ clipPath: o.clipPath, fps: o.fps });
  try {
    await waitForRtp(j);
    o.log(`  janus pid ${j.pid} (API ${j.apiBase}), feeder pid ${j.feederPid}`);
    const idle = { vigil: [] as CostRow[], janus: [] as JanusCostRow[] };
    const rows: JanusAbResult["levels"] = [];
    for (let r = 0; r < rounds; r++) {
      await sleep(1000);
      const idleOrder = r % 2 === 0 ? ["vigil", "janus"] : ["janus", "vigil"];
      for (const who of idleOrder) {
        if (who === "vigil") idle.vigil.push(await idleCost(o.vigilPid, o.windowS));
        else idle.janus.push(await janusIdle(j, o.windowS));
      }
      const iv = idle.vigil[r], ij = idle.janus[r];
      o.log(
        `  round ${r + 1} idle: vigil ${round(iv.cpuPerS, 4)} CPU-s/s ${round(iv.rssMiB)} MiB; ` +
          `janus ${round(ij.cpuPerS, 4)} CPU-s/s ${round(ij.rssMiB)} MiB (feeder ${
            round(ij.feederCpuPerS, 4)
          })`,
      );
      for (const [k, n] of levels.entries()) {
        const first = (r + k) % 2 === 0 ? "vigil" : "janus";
        let v: CostRow | undefined, jr: JanusCostRow | undefined;
        for (const who of first === "vigil" ? ["vigil", "janus"] : ["janus", "vigil"]) {
          if (who === "vigil") {
            v = await chromiumCost(o.browser, o.login, o.vigilPid, n, o.windowS, iv);
          } else jr = await janusChromiumCost(o.browser, j, n, o.windowS, ij);
          await sleep(1000); // the viewers' teardown settles
        }
        rows.push({ round: r + 1, viewers: n, first, vigil: v!, janus: jr! });
        const fps = (x: { perViewer: { framesPerS: number }[] }) =>
          Math.min(...x.perViewer.map((p) => p.framesPerS));
        o.log(
          `  round ${r + 1}, ${n} viewer(s): vigil ${round(v!.cpuPerS, 4)} CPU-s/s (${
            round(v!.cpuPerViewer, 4)
          }/viewer, min ${fps(v!)} fps), janus ${round(jr!.cpuPerS, 4)} (${
            round(jr!.cpuPerViewer, 4)
          }/viewer, min ${fps(jr!)} fps)`,
        );
      }
    }

    o.log(`answer → first frame: ${o.ttffRuns} calls each, alternating (+1 warm-up each)…`);
    // One context (a window of its own) per system: a second page in a context is a
    // background tab, whose frames Chromium presents late.
    const vigilCtx = await o.browser.newContext();
    const janusCtx = await o.browser.newContext();
    const samples = { vigil: [] as number[], janus: [] as number[] };
    const ciphers: Record<"vigil" | "janus", Ciphers> = {
      vigil: { srtpCipher: "", dtlsCipher: "" },
      janus: { srtpCipher: "", dtlsCipher: "" },
    };
    try {
      const vigilPage = await vigilCtx.newPage();
      await vigilPage.goto("about:blank");
      const jp = await janusTtffPage(janusCtx);
      const whep = {
        base: o.login.base,
        camera: o.login.camera,
        client: o.client,
        accessToken: await viewerToken(o.login.base, o.client, o.login.user, o.login.password),
      };
      for (let k = 0; k <= o.ttffRuns; k++) {
        for (const who of k % 2 === 0 ? ["vigil", "janus"] as const : ["janus", "vigil"] as const) {
          const f = who === "vigil"
            ? await vigilFirstFrame(vigilPage, whep)
            : await janusFirstFrame(jp.page, j, jp.setTarget);
          if (f.ms < 0) throw new Error(`${who}: no first frame within the timeout`);
          if (k > 0) samples[who].push(round(f.ms));
          ciphers[who] = { srtpCipher: f.srtpCipher, dtlsCipher: f.dtlsCipher };
          await sleep(150);
        }
        if (k > 0 && k % 5 === 0) {
          o.log(
            `  ${k}/${o.ttffRuns}: vigil ${samples.vigil.at(-1)} ms, janus ${
              samples.janus.at(-1)
            } ms`,
          );
        }
      }
    } finally {
      await vigilCtx.close();
      await janusCtx.close();
    }
    const ttff = {
      vigil: series(
        samples.vigil,
        "in-page RTCPeerConnection, recvonly offer with its candidates, WHEP POST through the server to the publisher process: setRemoteDescription(answer) → first presented frame",
        ciphers.vigil,
      ),
      janus: series(
        samples.janus,
        "in-page RTCPeerConnection: Janus's offer applied, answer created, setLocalDescription(answer) → first presented frame; the answer then goes to Janus (`start`, via Playwright and HTTP), candidates trickle",
        ciphers.janus,
      ),
    };
    const { fit, figures } = abFigures(
      { idle: idle.vigil, levels: rows.map((x) => x.vigil), ttffMedianMs: ttff.vigil.medianMs },
      { idle: idle.janus, levels: rows.map((x) => x.janus), ttffMedianMs: ttff.janus.medianMs },
    );
    return {
      janusVersion: version,
      config: { levels, rounds, windowS: o.windowS, ttffRuns: o.ttffRuns },
      idle,
      levels: rows,
      ttff,
      fit,
      figures,
    };
  } finally {
    await j.stop();
  }
}

if (import.meta.main) {
  const { buildWeb } = await import("../../subscriber-web/build.ts");
  const { userAdd } = await import("../../signaling/admin/commands.ts");
  const { launchChromium } = await import("../../tests/helpers/browser.ts");
  const { startTestServer } = await import("../../tests/helpers/server.ts");
  const { makeClip, startBenchPublisher } = await import("../lib/publisher.ts");
  const { countSetting } = await import("../lib/args.ts");
  const { progressLog } = await import("../lib/stats.ts");
  const env = (k: string, d: number, max: number) => countSetting(k, Deno.env.get(k), d, 1, max);
  const windowS = env("BENCH_WINDOW_S", 10, 600);
  const ttffRuns = env("BENCH_TTFF_RUNS", 20, 1000);
  const rounds = env("BENCH_JANUS_ROUNDS", 2, 20);
  const log = progressLog();
  const work = await Deno.makeTempDir({ prefix: "janus-ab-" });
  const clip = { width: 1280, height: 720, fps: 30, kbps: 2000, seconds: 10, gop: 30 };
  const clipPath = join(work, "clip.h264");
  await buildWeb({ outDir: join(work, "web"), minify: true });
  const s = await startTestServer({ webDir: join(work, "web"), maxSessionsPerViewer: 40 });
  const password = `ab-${crypto.randomUUID()}`;
  let pub: Awaited<ReturnType<typeof startBenchPublisher>> | null = null;
  let browser: Browser | null = null;
  try {
    await userAdd(s.dataDir, { name: "ab", password, cameras: ["ab-cam"] });
    await makeClip(clipPath, clip);
    pub = await startBenchPublisher({
      workDir: work,
      dataDir: s.dataDir,
      base: s.base,
      camera: "ab-cam",
      source: { kind: "file", path: clipPath },
      extra: ["--max-viewers", "20"],
    });
    browser = await launchChromium();
    const r = await benchJanusAb({
      browser,
      vigilPid: pub.pid,
      login: { base: s.base, user: "ab", password, camera: "ab-cam" },
      client: s.client,
      clipPath,
      fps: clip.fps,
      windowS,
      ttffRuns,
      rounds,
      log,
    });
    for (const f of r.figures) {
      log(`${f.metric}: vigil ${f.vigil} / janus ${f.janus} = ${f.ratio} (${f.target}: ${f.met})`);
    }
    console.log(JSON.stringify(r));
  } finally {
    await browser?.close().catch(() => {});
    await pub?.stop().catch(() => {});
    await s.stop().catch(() => {});
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  Deno.exit(0);
}
