/**
 * `deno task bench:profile [VIEWERS] [SECONDS]` — where the publisher spends its
 * CPU while serving werift viewers: runs a real server in-process and the real
 * publisher (file source, 720p30) under its launcher's exact permissions plus
 * V8's `--cpu-prof`, attaches VIEWERS werift viewers (bench/probe_many.ts; with
 * CHROMIUM=1, pages of the built viewer in headless Chromium) for
 * SECONDS, then prints the hottest functions and packages by self time.
 *
 * SEND_PATH=werift|direct picks the publisher's send path (its --send-path).
 *
 * Needs `-A` (it spawns the publisher, the probe and reads the profile).
 * @module
 */
import { join } from "node:path";
import { userAdd } from "../signaling/admin/commands.ts";
import { type BenchPublisher, childEnv, startBenchPublisher } from "./lib/publisher.ts";
import { startTestServer } from "../tests/helpers/server.ts";
import { launchChromium } from "../tests/helpers/browser.ts";
import { buildWeb } from "../subscriber-web/build.ts";
import { openCamera, viewerPage } from "./ttff.ts";
import { type CpuProfile, summarizeProfile } from "./lib/cpu_profile.ts";
import { progressLog, round, sleep } from "./lib/stats.ts";
import { countSetting } from "./lib/args.ts";
import { procCpuSeconds, procStatusMiB } from "./lib/proc.ts";

let viewers: number, seconds: number, top: number;
try {
  viewers = countSetting("VIEWERS", Deno.args[0], 8, 0, 64);
  seconds = countSetting("SECONDS", Deno.args[1], 15, 1, 600);
  top = countSetting("PROFILE_TOP", Deno.env.get("PROFILE_TOP"), 25, 1, 500);
} catch (error) {
  console.error(
    `bench:profile: ${
      (error as Error).message
    }\nusage: deno task bench:profile [VIEWERS] [SECONDS]`,
  );
  Deno.exit(2);
}
/** V8 flags replacing the publisher's own, to compare settings ("" = V8's defaults). */
const v8Flags = Deno.env.get("PUBLISHER_V8_FLAGS");
/** GLIBC_TUNABLES of the publisher replacing its own ("" = glibc's defaults). */
const mallocTunables = Deno.env.get("PUBLISHER_MALLOC");
/** SEND_PATH=werift|direct: the publisher's --send-path (default its own, direct). */
const sendPath = Deno.env.get("SEND_PATH");
if (sendPath && sendPath !== "werift" && sendPath !== "direct") {
  console.error(`bench:profile: SEND_PATH must be werift or direct, got "${sendPath}"`);
  Deno.exit(2);
}
/** NO_PROFILE=1: measure CPU and memory only, without the profiler's own cost. */
const profiling = !Deno.env.get("NO_PROFILE");
const CAMERA = "profile-cam";
const USER = "profile";
const PASSWORD = "profile-password-1";
const log = progressLog();
const deno = Deno.execPath();

async function weriftViewers(): Promise<number[]> {
  const probe = await new Deno.Command(deno, {
    args: [
      "run",
      "-A",
      "bench/probe_many.ts",
      s.base,
      CAMERA,
      USER,
      String(viewers),
      String(seconds),
    ],
    env: { ...childEnv, VIGIL_PASSWORD: PASSWORD, VIGIL_CA_FILE: join(work, "ca.pem") },
  }).output();
  const results = JSON.parse(
    new TextDecoder().decode(probe.stdout).trim().split("\n").pop() ?? "{}",
  );
  return (results.results ?? []).map((r: { frames: number }) => r.frames);
}

async function chromiumViewers(): Promise<number[]> {
  const browser = await launchChromium();
  try {
    const login = { base: s.base, user: USER, password: PASSWORD, camera: CAMERA };
    const pages = [];
    for (let i = 0; i < viewers; i++) pages.push(await viewerPage(browser, login));
    await Promise.all(pages.map(({ page }) => openCamera(page, CAMERA)));
    await sleep(seconds * 1000);
    return await Promise.all(
      pages.map(({ page }) =>
        page.evaluate(() =>
          (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil.framesDecoded
        )
      ),
    );
  } finally {
    await browser.close();
  }
}

const work = await Deno.makeTempDir({ prefix: "vigil-profile-" });
/** CHROMIUM=1: the viewers are pages of the built viewer in headless Chromium instead. */
const chromium = Deno.env.get("CHROMIUM") === "1";
const webDir = join(work, "web");
if (chromium) await buildWeb({ outDir: webDir, minify: true });
const s = await startTestServer({
  maxSessionsPerViewer: 40,
  maxSessionsPerCamera: 40,
  ...(chromium ? { webDir } : {}),
});
let publisher: BenchPublisher | null = null;
try {
  await userAdd(s.dataDir, { name: USER, password: PASSWORD, cameras: [CAMERA] });
  const profDir = join(work, "prof");
  publisher = await startBenchPublisher({
    workDir: work,
    dataDir: s.dataDir,
    base: s.base,
    camera: CAMERA,
    extra: ["--max-viewers", String(viewers + 2), ...(sendPath ? ["--send-path", sendPath] : [])],
    v8Flags,
    mallocTunables,
    cpuProfDir: profiling ? profDir : undefined,
  });
  log(
    `publisher online (pid ${publisher.pid}); ${viewers} ${chromium ? "Chromium" : "werift"} ` +
      `viewers for ${seconds} s…`,
  );

  const caFile = join(work, "ca.pem");
  await Deno.writeTextFile(caFile, s.ctx.pki.caPem);
  await sleep(2000);
  // RssAnon is the process's own memory; RssFile is mostly the deno executable's pages
  // (shared with the launcher process and reclaimable by the kernel).
  const anonIdle = procStatusMiB(publisher.pid, "RssAnon");
  const rssIdle = procStatusMiB(publisher.pid, "VmRSS");
  let rssMax = 0, anonMax = 0;
  const pid = publisher.pid;
  const rssTimer = setInterval(() => {
    rssMax = Math.max(rssMax, procStatusMiB(pid, "VmRSS"));
    anonMax = Math.max(anonMax, procStatusMiB(pid, "RssAnon"));
  }, 250);
  const cpu0 = procCpuSeconds(publisher.pid);
  const t0 = performance.now();
  const frames = viewers === 0
    ? await sleep(seconds * 1000).then(() => [])
    : chromium
    ? await chromiumViewers()
    : await weriftViewers();
  const cpuPerS = (procCpuSeconds(publisher.pid) - cpu0) / ((performance.now() - t0) / 1000);
  clearInterval(rssTimer);
  log(`publisher ${round(cpuPerS, 3)} CPU-s/s; frames per viewer: ${frames.join(", ")}`);
  await sleep(5000);
  const rssAfter = procStatusMiB(publisher.pid, "VmRSS");
  const anonAfter = procStatusMiB(publisher.pid, "RssAnon");
  log(
    `publisher RSS (RssAnon): idle ${round(rssIdle)} (${round(anonIdle)}) MiB, max ${
      round(rssMax)
    } (${round(anonMax)}) MiB, 5 s after the viewers left ${round(rssAfter)} (${
      round(anonAfter)
    }) MiB`,
  );

  await publisher.stop();
  publisher = null;
  await sleep(100);
  if (!profiling) Deno.exit(0);
  const file = [...Deno.readDirSync(profDir)].find((e) => e.name.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  const profile = JSON.parse(await Deno.readTextFile(join(profDir, file.name))) as CpuProfile;
  const summary = summarizeProfile(profile, top);
  console.log(`\nSelf time by package (${round(summary.totalMs / 1000, 2)} s sampled):`);
  for (const p of summary.byPackage) {
    console.log(`  ${p.percent.toFixed(1).padStart(5)} %  ${p.name}`);
  }
  console.log("\nHottest functions by self time:");
  for (const f of summary.byFunction) {
    console.log(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.name}  ${f.location}`);
  }
  if (Deno.env.get("KEEP_PROFILE")) {
    await Deno.copyFile(join(profDir, file.name), Deno.env.get("KEEP_PROFILE")!);
    log(`profile kept at ${Deno.env.get("KEEP_PROFILE")}`);
  }
} finally {
  await publisher?.stop();
  await s.stop().catch(() => {});
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
Deno.exit(0);
