/**
 * A Janus 1.1 process for the benchmark baseline: a temp dir with the
 * generated configuration ({@linkcode janusConfigFiles}), only the streaming
 * plugin and the HTTP transport linked in, the HTTP API on 127.0.0.1, and an
 * ffmpeg feeder sending the bench clip over RTP at its frame rate, looped.
 *
 * ```ts
 * const j = await startJanus({ clipPath: "/tmp/clip.h264", fps: 30 });
 * j.apiBase; // "http://127.0.0.1:PORT/janus"
 * await j.stop();
 * ```
 * @module
 */
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { waitOrKill } from "../../tests/helpers/publisher_process.ts";
import { sleep } from "../lib/stats.ts";
import { janusConfigFiles } from "./config.ts";

/** Debian's multiarch folder of the `janus` package's plugins and transports on this machine. */
const JANUS_LIB = `/usr/lib/${Deno.build.arch}-linux-gnu/janus`;

/** Options of {@linkcode startJanus}. */
export interface StartJanusOptions {
  /** The raw H.264 (Annex B) clip the vigil publisher plays. */
  clipPath: string;
  /** Its frame rate (raw H.264 carries none that ffmpeg reads). */
  fps: number;
  /** The host's IPv4 address for ICE (default: the first non-loopback one). */
  iceAddress?: string;
  /** `janus` binary (default from PATH). */
  janusBinary?: string;
  /** Janus's folder of plugins and transports (default Debian's, for this architecture). */
  libDir?: string;
  /** Keep the latest keyframe for new viewers (default true). */
  keyframeBuffer?: boolean;
  /** Largest RTP packet ffmpeg sends, header included (default 1212: vigil's 1200-byte payloads). */
  rtpPacketSize?: number;
  /** Most time to wait for the API and the first RTP packets (default 20 s). */
  timeoutMs?: number;
}

/** A running Janus and its feeder. */
export interface RunningJanus {
  /** Janus's pid: what the bench measures. */
  pid: number;
  /** ffmpeg's pid (the RTP feeder), measured separately. */
  feederPid: number;
  /** `http://127.0.0.1:PORT/janus`. */
  apiBase: string;
  mountpointId: number;
  /** Janus's and ffmpeg's output so far (for errors). */
  log(): string;
  /** Stops both (SIGTERM, SIGKILL after 5 s) and removes the temp dir. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1; the tiny race until Janus binds it is accepted. */
function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

/** A free UDP port on 127.0.0.1 (node:dgram: Deno's own UDP API is unstable). */
function freeUdpPort(): Promise<number> {
  const sock = createSocket("udp4");
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, "127.0.0.1", () => {
      const p = sock.address().port;
      sock.close(() => resolve(p));
    });
  });
}

/** The first non-loopback, non-link-local IPv4 address of this host. */
export function hostIPv4(): string {
  const a = Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.") && !i.address.startsWith("169.254.")
  );
  if (!a) throw new Error("no non-loopback IPv4 address: Janus gathers no loopback candidates");
  return a.address;
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd}: ${new TextDecoder().decode(out.stderr).slice(-400)}`);
  }
}

/** Keeps the last `max` characters a process printed. */
function tail(stream: ReadableStream<Uint8Array>, max = 8000) {
  let text = "";
  const decoder = new TextDecoder();
  stream.pipeTo(
    new WritableStream({
      write(c) {
        text = (text + decoder.decode(c, { stream: true })).slice(-max);
      },
    }),
  ).catch(() => {});
  return () => text;
}

async function stopChild(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    return; // already gone
  }
  await waitOrKill(child, 5000);
}

/** Starts Janus with a generated configuration and its ffmpeg feeder; resolves once it serves. */
export async function startJanus(o: StartJanusOptions): Promise<RunningJanus> {
  const dir = await Deno.makeTempDir({ prefix: "janus-bench-" });
  const libDir = o.libDir ?? JANUS_LIB;
  const paths = {
    configsDir: join(dir, "conf"),
    pluginsDir: join(dir, "plugins"),
    transportsDir: join(dir, "transports"),
    emptyDir: join(dir, "none"),
  };
  const children: Deno.ChildProcess[] = [];
  const cleanup = async () => {
    for (const c of children.reverse()) await stopChild(c);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    for (const d of Object.values(paths)) await Deno.mkdir(d);
    // Only what the baseline uses is loaded: Janus loads every .so in these folders.
    await Deno.symlink(
      join(libDir, "plugins", "libjanus_streaming.so"),
      join(paths.pluginsDir, "libjanus_streaming.so"),
    );
    await Deno.symlink(
      join(libDir, "transports", "libjanus_http.so"),
      join(paths.transportsDir, "libjanus_http.so"),
    );
    const httpPort = freeTcpPort();
    const rtpPort = await freeUdpPort();
    const mountpointId = 1;
    const files = janusConfigFiles({
      ...paths,
      httpPort,
      rtpPort,
      mountpointId,
      iceAddress: o.iceAddress ?? hostIPv4(),
      keyframeBuffer: o.keyframeBuffer ?? true,
    });
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(join(paths.configsDir, name), text);
    }
    // Raw H.264 cannot loop in ffmpeg (no timestamps to restart from): remux once to
    // Matroska at the clip's frame rate, then loop that.
    const mkv = join(dir, "clip.mkv");
    // deno-fmt-ignore
    await run("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-y", "-fflags", "+genpts",
      "-r", String(o.fps), "-f", "h264", "-i", o.clipPath, "-c", "copy", mkv,
    ]);

    const janus = new Deno.Command(o.janusBinary ?? "janus", {
      args: ["-C", join(paths.configsDir, "janus.jcfg"), "-F", paths.configsDir, "-o"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    children.push(janus);
    const janusOut = tail(janus.stdout);
    const janusErr = tail(janus.stderr);
    const apiBase = `http://127.0.0.1:${httpPort}/janus`;
    const deadline = Date.now() + (o.timeoutMs ?? 20_000);
    for (;;) {
      try {
        const r = await fetch(`${apiBase}/info`, { signal: AbortSignal.timeout(1000) });
        await r.body?.cancel();
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`janus did not serve: ${janusOut()}${janusErr()}`);
      await sleep(100);
    }
    // deno-fmt-ignore
    const feeder = new Deno.Command("ffmpeg", {
      args: [
        "-hide_banner", "-loglevel", "error", "-nostdin",
        "-re", "-stream_loop", "-1", "-i", mkv,
        "-an", "-c:v", "copy", "-payload_type", "96", "-ssrc", "1111",
        "-f", "rtp", `rtp://127.0.0.1:${rtpPort}?pkt_size=${o.rtpPacketSize ?? 1212}`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    children.push(feeder);
    const feederErr = tail(feeder.stderr);
    const log = () => `janus: ${janusOut()}${janusErr()}\nffmpeg: ${feederErr()}`;
    return {
      pid: janus.pid,
      feederPid: feeder.pid,
      apiBase,
      mountpointId,
      log,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
