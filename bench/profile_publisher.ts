/**
 * `deno task bench:profile [VIEWERS] [SECONDS]` — where the publisher spends its
 * CPU while serving werift viewers: runs a real server in-process and the real
 * publisher (file source, 720p30) under its launcher's exact permissions plus
 * V8's `--cpu-prof`, attaches VIEWERS werift viewers (bench/probe_many.ts) for
 * SECONDS, then prints the hottest functions and packages by self time.
 *
 * Needs `-A` (it spawns the publisher, the probe and reads the profile).
 * @module
 */
import { join } from "node:path";
import { addDevice, userAdd } from "../signaling/admin/commands.ts";
import { enroll } from "../publisher/device/enroll_client.ts";
import { localPublishArgs } from "../scripts/publish_command.ts";
import { startTestServer } from "../tests/helpers/server.ts";
import { type CpuProfile, summarizeProfile } from "./lib/cpu_profile.ts";
import { progressLog, round, sleep } from "./lib/stats.ts";
import { procCpuSeconds, procStatusMiB } from "./lib/proc.ts";

const viewers = Number(Deno.args[0] ?? 8);
const seconds = Number(Deno.args[1] ?? 15);
/** Extra V8 flags for the publisher, to compare settings (e.g. `--max-semi-space-size=1`). */
const v8Flags = Deno.env.get("PUBLISHER_V8_FLAGS");
/** NO_PROFILE=1: measure CPU and memory only, without the profiler's own cost. */
const profiling = !Deno.env.get("NO_PROFILE");
const CAMERA = "profile-cam";
const USER = "profile";
const PASSWORD = "profile-password-1";
const log = progressLog();
const deno = Deno.execPath();

async function output(args: string[]): Promise<string> {
  const out = await new Deno.Command(deno, { args, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`deno ${args.slice(0, 4).join(" ")} … failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

const work = await Deno.makeTempDir({ prefix: "vigil-profile-" });
const s = await startTestServer({ maxSessionsPerViewer: 40, maxSessionsPerCamera: 40 });
let publisher: Deno.ChildProcess | null = null;
try {
  const added = await addDevice(s.dataDir, {
    id: CAMERA,
    label: "Profile",
    ttlMs: 60_000,
    serverUrl: s.base,
  });
  const stateDir = join(work, "device");
  await Deno.mkdir(stateDir);
  await enroll({
    serverUrl: s.base,
    token: added.token,
    caFingerprint: added.caFingerprint,
    stateDir,
    force: false,
  });
  await userAdd(s.dataDir, { name: USER, password: PASSWORD, cameras: [CAMERA] });

  // The launcher's own flags for this configuration, then the same run with --cpu-prof.
  const launcherArgs = localPublishArgs(stateDir, ["--max-viewers", String(viewers + 2)]);
  const flags = (await output([...launcherArgs, "--print-flags"])).split(" ");
  const publisherArgs = launcherArgs.slice(launcherArgs.indexOf("scripts/publish.ts") + 1);
  const profDir = join(work, "prof");
  publisher = new Deno.Command(deno, {
    args: [
      "run",
      ...flags,
      ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
      "--cpu-prof",
      `--cpu-prof-dir=${profDir}`,
      "publisher/main.ts",
      ...publisherArgs,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = publisher.stdout.getReader();
  let seen = "";
  while (!seen.includes("online as")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`publisher exited: ${seen.slice(-300)}`);
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  publisher.stdout.pipeTo(new WritableStream()).catch(() => {});
  log(`publisher online (pid ${publisher.pid}); ${viewers} werift viewers for ${seconds} s…`);

  const caFile = join(work, "ca.pem");
  await Deno.writeTextFile(caFile, s.ctx.pki.caPem);
  await sleep(2000);
  const rssIdle = procStatusMiB(publisher.pid, "VmRSS");
  let rssMax = 0;
  const pid = publisher.pid;
  const rssTimer = setInterval(() => rssMax = Math.max(rssMax, procStatusMiB(pid, "VmRSS")), 250);
  const cpu0 = procCpuSeconds(publisher.pid);
  const t0 = performance.now();
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
    env: { VIGIL_PASSWORD: PASSWORD, VIGIL_CA_FILE: caFile },
  }).output();
  const cpuPerS = (procCpuSeconds(publisher.pid) - cpu0) / ((performance.now() - t0) / 1000);
  const results = JSON.parse(
    new TextDecoder().decode(probe.stdout).trim().split("\n").pop() ?? "{}",
  );
  const frames = (results.results ?? []).map((r: { frames: number }) => r.frames);
  clearInterval(rssTimer);
  log(`publisher ${round(cpuPerS, 3)} CPU-s/s; frames per viewer: ${frames.join(", ")}`);
  await sleep(5000);
  const rssAfter = procStatusMiB(publisher.pid, "VmRSS");
  log(
    `publisher RSS: idle ${round(rssIdle)} MiB, max ${
      round(rssMax)
    } MiB, 5 s after the viewers left ${round(rssAfter)} MiB`,
  );

  publisher.kill("SIGTERM");
  await publisher.status;
  publisher = null;
  await sleep(100);
  if (!profiling) Deno.exit(0);
  const file = [...Deno.readDirSync(profDir)].find((e) => e.name.endsWith(".cpuprofile"));
  if (!file) throw new Error("no .cpuprofile written");
  const profile = JSON.parse(await Deno.readTextFile(join(profDir, file.name))) as CpuProfile;
  const summary = summarizeProfile(profile, 25);
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
  if (publisher) {
    publisher.kill("SIGKILL");
    await publisher.status;
  }
  await s.stop().catch(() => {});
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
Deno.exit(0);
