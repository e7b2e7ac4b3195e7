/**
 * The publisher on the Raspberry Pi's architecture (arm64), on this x86 host:
 * Deno's arm64 Linux build runs under qemu user-mode emulation
 * (tests/helpers/arm64.ts; no binfmt_misc needed). The arm64 `enroll` launcher
 * enrolls against a real server, the arm64 `publish` launcher starts the arm64
 * publisher with its computed least-privilege flags, which connects over mTLS
 * and streams the sample clip to headless Chromium: frames must be decoded.
 * The publisher process is checked to be qemu running the aarch64 Deno, and it
 * reports `linux/aarch64` itself.
 *
 * Not proven here: real Pi hardware (CPU headroom, the camera stack
 * rpicam-vid/libcamera, the container image), only the same code on the same
 * instruction set with the same C library.
 */
import assert from "node:assert/strict";
import { buildWeb } from "../../subscriber-web/build.ts";
import { localPublishArgs } from "../helpers/publish_command.ts";
import { taskArgs } from "../helpers/tasks.ts";
import { addDevice, userAdd } from "../../signaling/admin/commands.ts";
import { CHROMIUM, launchChromium } from "../helpers/browser.ts";
import { stopProcess } from "../helpers/publisher_process.ts";
import { startTestServer } from "../helpers/server.ts";
import { ignoreWithout } from "../helpers/tools.ts";
import {
  type Arm64Runtime,
  elfMachine,
  prepareArm64Runtime,
  QEMU_AARCH64,
} from "../helpers/arm64.ts";

const ignore = ignoreWithout(
  CHROMIUM,
  QEMU_AARCH64,
  "ffmpeg",
  "npm",
  "apt-get",
  "dpkg-deb",
  "tar",
);

/** Emulated Deno starts in seconds, not milliseconds: generous limits. */
const ONLINE_TIMEOUT_MS = 180_000;
const FRAMES_TIMEOUT_MS = 90_000;
/**
 * A small stream: emulation runs the publisher several times slower than an
 * arm64 core would, and the full suite shares this machine's cores.
 */
const CLIP = { width: 640, height: 360, fps: 15, kbps: 400, gop: 15, seconds: 4 };

async function makeClip(path: string): Promise<void> {
  const c = CLIP;
  // deno-fmt-ignore
  const args = [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", `testsrc2=size=${c.width}x${c.height}:rate=${c.fps}`, "-t", String(c.seconds),
    "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
    "-g", String(c.gop), "-keyint_min", String(c.gop), "-sc_threshold", "0", "-b:v", `${c.kbps}k`,
    "-x264-params", "repeat-headers=1", "-f", "h264", path,
  ];
  const out = await new Deno.Command("ffmpeg", { args, stderr: "piped" }).output();
  if (!out.success) throw new Error(`ffmpeg: ${decoder.decode(out.stderr).slice(-300)}`);
}

const decoder = new TextDecoder();

async function runArm64(rt: Arm64Runtime, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(rt.wrapper, {
    args,
    env: rt.env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  if (!out.success) {
    throw new Error(`arm64 deno ${args.slice(0, 3).join(" ")}: ${text.slice(-800)}`);
  }
  return text;
}

/** The child of `parent` whose command line contains `needle`. */
function childWith(parent: number, needle: string): number | null {
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (ppid === parent && cmd.includes(needle)) return Number(e.name);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

Deno.test({
  name: "publisher on arm64 (qemu user-mode): enrolls, connects over mTLS, Chromium decodes",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  let rt!: Arm64Runtime;
  await t.step("the arm64 runtime: Deno's aarch64 build, same version, under qemu", async () => {
    rt = await prepareArm64Runtime({ log: (m) => console.log(`arm64: ${m}`) });
    const head = new Uint8Array(64);
    using f = await Deno.open(rt.deno);
    await f.read(head);
    assert.equal(elfMachine(head), "aarch64");
    const out = await runArm64(rt, ["eval", "console.log(Deno.build.arch, Deno.version.deno)"]);
    assert.equal(out.trim(), `aarch64 ${Deno.version.deno}`);
    // Its own npm cache, from deno.lock (arm64 differs: e.g. esbuild's binary package).
    await runArm64(rt, ["install", "--frozen"]);
    console.log(
      `arm64: runtime ready after ${seconds()} s (sysroot ${JSON.stringify(rt.versions)})`,
    );
  });

  const webDir = await Deno.makeTempDir({ prefix: "vigil-arm64-web-" });
  const stateDir = await Deno.makeTempDir({ prefix: "vigil-arm64-dev-" });
  await buildWeb({ outDir: webDir, minify: true });
  const clipPath = `${webDir}-clip.h264`;
  const configPath = `${webDir}-publish.json`;
  await makeClip(clipPath);
  const { width, height, fps } = CLIP;
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({ source: { kind: "file", path: clipPath, width, height, fps } }),
  );
  const s = await startTestServer({ webDir });
  let launcher: Deno.ChildProcess | null = null;
  let output = "";
  const browser = await launchChromium();
  try {
    await t.step("the arm64 enroll launcher enrolls against the real server", async () => {
      const added = await addDevice(s.dataDir, {
        id: "arm64-cam",
        ttlMs: 300_000,
        serverUrl: s.base,
      });
      const out = await runArm64(rt, [
        ...taskArgs("enroll"),
        "--server",
        s.base,
        "--ca-fingerprint",
        added.caFingerprint,
        "--state-dir",
        stateDir,
        "--token-stdin",
        "--json",
      ], added.token + "\n");
      assert.match(out, /arm64-cam/);
      assert.ok(
        s.ctx.audit.recent.some((e) => e.event === "enroll.success" && e.device === "arm64-cam"),
        "the server recorded the enrollment",
      );
    });

    await t.step(
      "the arm64 publisher is qemu running the aarch64 Deno, online over mTLS",
      async () => {
        launcher = new Deno.Command(rt.wrapper, {
          args: localPublishArgs(stateDir, ["--config", configPath]),
          env: rt.env,
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const collect = async (stream: ReadableStream<Uint8Array>) => {
          for await (const c of stream) output += decoder.decode(c);
        };
        collect(launcher.stdout).catch(() => {});
        collect(launcher.stderr).catch(() => {});
        const deadline = Date.now() + ONLINE_TIMEOUT_MS;
        while (!output.includes("online as")) {
          if (Date.now() > deadline) throw new Error(`not online: ${output.slice(-600)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
        console.log(`arm64: publisher online after ${seconds()} s`);
        const pid = childWith(launcher.pid, "publisher/main.ts");
        assert.ok(pid, "the launcher's publisher child");
        const exe = await Deno.realPath(`/proc/${pid}/exe`);
        assert.equal(exe, await Deno.realPath((await hostPath(QEMU_AARCH64))!));
        const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
        assert.ok(cmdline.includes(rt.deno), `runs ${rt.deno}: ${cmdline.join(" ")}`);
        assert.match(output, /publisher arm64-cam: .*\(Deno [\d.]+, linux\/aarch64\)/);
        assert.match(output, /online as arm64-cam/);
      },
    );

    await t.step("Chromium decodes the arm64 publisher's frames", async () => {
      await userAdd(s.dataDir, {
        name: "pi-viewer",
        password: "pi-viewer-password",
        cameras: ["arm64-cam"],
      });
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await ctx.newPage();
      await page.goto(`${s.base}/`);
      await page.getByTestId("username").fill("pi-viewer");
      await page.getByTestId("password").fill("pi-viewer-password");
      await page.getByTestId("login-submit").click();
      await page.locator('[data-testid="camera-arm64-cam"][data-online="true"]').waitFor({
        timeout: 30_000,
      });
      console.log(`arm64: camera online in the viewer after ${seconds()} s`);
      await page.getByTestId("camera-arm64-cam").locator("a").click();
      const frames = () =>
        page.evaluate(() =>
          (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil.framesDecoded
        );
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { __vigil: { framesDecoded: number } }).__vigil.framesDecoded >
            0,
        null,
        { timeout: FRAMES_TIMEOUT_MS },
      ).catch((error) => {
        throw new Error(`no frame: ${error.message}\npublisher: ${output.slice(-800)}`);
      });
      console.log(`arm64: first frame after ${seconds()} s`);
      const f0 = await frames();
      await new Promise((r) => setTimeout(r, 5000));
      const decoded = (await frames()) - f0;
      console.log(
        `arm64: ${decoded} frames decoded in 5 s (${(decoded / 5).toFixed(1)} fps of ${fps})`,
      );
      // A live stream, not a single picture: at least 2 of its 15 fps on average.
      assert.ok(decoded >= 10, `at least 10 frames in 5 s, got ${decoded}`);
      await ctx.close();
    });
  } finally {
    await browser.close();
    if (launcher) await stopProcess(launcher);
    await s.stop();
    await Deno.remove(stateDir, { recursive: true });
    await Deno.remove(webDir, { recursive: true });
    await Deno.remove(clipPath).catch(() => {});
    await Deno.remove(configPath).catch(() => {});
    console.log(`arm64: test took ${seconds()} s`);
  }
});

async function hostPath(tool: string): Promise<string | null> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "piped" })
    .output();
  return out.success ? decoder.decode(out.stdout).trim() : null;
}
