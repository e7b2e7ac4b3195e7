/**
 * A real publisher for benchmarks: enrolled through the real token + CSR flow,
 * run as `publisher/main.ts` with exactly the flags its launcher computes
 * (`publish --print-flags`), plus optional V8 flags or a CPU profile, so that
 * its own pid is what /proc accounting measures.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { addDevice } from "../../signaling/admin/commands.ts";
import { enroll } from "../../publisher/device/enroll_client.ts";
import { localPublishArgs } from "../../tests/helpers/publish_command.ts";
import { stopProcess } from "../../tests/helpers/publisher_process.ts";
import { publisherRuntimeEnv } from "../../publisher/config/runtime_flags.ts";

/** Options of {@linkcode startBenchPublisher}. */
export interface BenchPublisherOptions {
  /** Working directory (device state, config, log). */
  workDir: string;
  /** Server data directory (to register the device) and public URL. */
  dataDir: string;
  base: string;
  camera: string;
  /** The publisher's `source` config (default: the file source's sample clip). */
  source?: Record<string, unknown>;
  /** Extra publish arguments (e.g. `--max-viewers 20`). */
  extra?: string[];
  /**
   * Comma-separated V8 flags replacing the launcher's own `--v8-flags=` (see
   * publisher/config/runtime_flags.ts); "" runs V8 with its defaults.
   */
  v8Flags?: string;
  /**
   * GLIBC_TUNABLES of the publisher process replacing the launcher's own (see
   * publisher/config/runtime_flags.ts); "" runs malloc with its defaults.
   */
  mallocTunables?: string;
  /** Write a V8 CPU profile into this directory on exit. */
  cpuProfDir?: string;
  /** Most time to wait for "online as" (default 60 s). */
  timeoutMs?: number;
}

/** A running bench publisher. */
export interface BenchPublisher {
  child: Deno.ChildProcess;
  pid: number;
  /** SIGTERM, then SIGKILL after 5 s; waits for the exit. */
  stop(): Promise<void>;
}

const deno = Deno.execPath();
/** The launcher runs `deno` from PATH: make it this same deno. */
export const childEnv: Record<string, string> = {
  PATH: `${dirname(deno)}:${Deno.env.get("PATH") ?? ""}`,
};

/** Registers and enrolls `camera`, then starts its publisher and waits until it is online. */
export async function startBenchPublisher(o: BenchPublisherOptions): Promise<BenchPublisher> {
  const stateDir = join(o.workDir, `device-${o.camera}`);
  const added = await addDevice(o.dataDir, { id: o.camera, ttlMs: 60_000, serverUrl: o.base });
  await Deno.mkdir(stateDir, { recursive: true });
  await enroll({
    serverUrl: o.base,
    token: added.token,
    caFingerprint: added.caFingerprint,
    stateDir,
    force: false,
  });
  const extra = [...(o.extra ?? [])];
  // The launcher passes its picked --interface to main.ts; this runs main.ts itself, so it
  // names one: loopback, where the bench's viewers are (ICE never binds a wildcard).
  if (!extra.includes("--interface")) extra.push("--interface", "127.0.0.1");
  if (o.source) {
    const config = join(o.workDir, `publish-${o.camera}.json`);
    await Deno.writeTextFile(config, JSON.stringify({ source: o.source }));
    // The helper's own "--source file" comes first; the later flag wins.
    extra.push("--config", config, "--source", String(o.source.kind));
  }
  const launcherArgs = localPublishArgs(stateDir, extra);
  const printed = await new Deno.Command(deno, {
    args: [...launcherArgs, "--print-flags"],
    env: childEnv,
    stderr: "inherit",
  }).output();
  if (!printed.success) throw new Error("publish --print-flags failed");
  let flags = new TextDecoder().decode(printed.stdout).trim().split(" ");
  if (o.v8Flags !== undefined) flags = flags.filter((f) => !f.startsWith("--v8-flags="));
  const args = launcherArgs.slice(launcherArgs.indexOf("scripts/publish.ts") + 1);
  const child = new Deno.Command(deno, {
    args: [
      "run",
      ...flags,
      ...(o.v8Flags ? [`--v8-flags=${o.v8Flags}`] : []),
      ...(o.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${o.cpuProfDir}`] : []),
      "publisher/main.ts",
      ...args,
    ],
    // What the launcher adds to the publisher's environment, unless replaced.
    env: {
      ...childEnv,
      ...(o.mallocTunables === undefined
        ? publisherRuntimeEnv(undefined)
        : { GLIBC_TUNABLES: o.mallocTunables }),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = await Deno.open(join(o.workDir, `publisher-${o.camera}.log`), {
    create: true,
    append: true,
  });
  const reader = child.stdout.getReader();
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let seen = "";
  try {
    while (!seen.includes("online as")) {
      if (Date.now() > deadline) throw new Error(`publisher not online: ${seen.slice(-300)}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`publisher exited: ${seen.slice(-300)}`);
      seen += new TextDecoder().decode(value);
    }
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    throw error;
  }
  reader.releaseLock();
  const sink = () => new WritableStream<Uint8Array>({ write: (c) => log.write(c).then(() => {}) });
  child.stdout.pipeTo(sink()).catch(() => {});
  child.stderr.pipeTo(sink()).catch(() => {});
  return {
    child,
    pid: child.pid,
    stop: () => stopProcess(child, 5000),
  };
}

/**
 * An H.264 clip for the file source at an exact bitrate (the shipped sample is
 * 1.5 Mbit/s): ffmpeg testsrc2, Constrained Baseline, IDR every `gop`.
 */
export async function makeClip(
  path: string,
  o: { width: number; height: number; fps: number; kbps: number; seconds: number; gop: number },
): Promise<void> {
  // deno-fmt-ignore
  const args = [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, "-t", String(o.seconds),
    "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
    "-g", String(o.gop), "-keyint_min", String(o.gop), "-sc_threshold", "0",
    "-b:v", `${o.kbps}k`, "-maxrate", `${o.kbps}k`, "-bufsize", `${o.kbps}k`,
    "-x264-params", "repeat-headers=1", "-f", "h264", path,
  ];
  const out = await new Deno.Command("ffmpeg", { args, stderr: "piped" }).output();
  if (!out.success) throw new Error(`ffmpeg: ${new TextDecoder().decode(out.stderr).slice(-300)}`);
}
