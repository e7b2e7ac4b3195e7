/**
 * Crash safety of recordings, with real processes killed by SIGKILL:
 * - the publisher (launched as `deno task publish` does) killed mid-segment
 *   loses at most its current fragment: ffmpeg sees its stdin close and
 *   finalizes the segment; the publisher started again uploads it and records on;
 * - the server (signaling/main.ts under serverFlags) killed mid-upload keeps
 *   no partial segment as complete; started again it removes the temp file
 *   and the camera's retry stores every segment, byte for byte.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { serverFlags } from "../../signaling/config/flags.ts";
import { openSqliteStore } from "../../signaling/store/sqlite.ts";
import { finishedSegments, parseStamp } from "../../publisher/recorder/catalog.ts";
import { createCsr, exportPrivateKeyPem, generateDeviceKey } from "../../pki/mod.ts";
import { assertBinaries, ignoreWithout } from "../../publisher/sources/_needs_binary.ts";
import { startLocalPublisher, stopProcess } from "../helpers/publisher_process.ts";
import { addDevice } from "../../signaling/admin/commands.ts";
import { enrollInto, startTestServer } from "../helpers/server.ts";
import { deviceUploader, recordSample, sha256Of, storedSegment } from "../helpers/recordings.ts";
import { childrenOf, REPO, sleep } from "./publisher_fixture.ts";

async function until<T>(f: () => Promise<T | null | undefined | false>, ms: number, what: string) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(200);
  }
}

async function durationOf(path: string): Promise<number> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

const alive = (pid: number) => {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).includes(") Z ");
  } catch {
    return false;
  }
};

Deno.test({
  name: "recordings crash safety: the publisher SIGKILLed mid-segment loses at most a fragment",
  ignore: ignoreWithout("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    assertBinaries("ffmpeg", "ffprobe");
    const server = await startTestServer();
    const dir = await Deno.makeTempDir({ prefix: "vigil-crash-" });
    const stateDir = join(dir, "state");
    const recDir = join(dir, "rec");
    const config = join(dir, "publish.json");
    let launcher: Deno.ChildProcess | null = null;
    try {
      await enrollInto(server, "shed", stateDir);
      await Deno.writeTextFile(
        config,
        JSON.stringify({
          record: { dir: recDir, segmentSeconds: 60, snapshotSeconds: 0, uploadKbps: 0 },
        }),
      );
      const start = () =>
        startLocalPublisher(stateDir, {
          logFile: join(dir, "publisher.log"),
          extra: ["--config", config],
        });
      launcher = await start();
      const publisher = await until(
        async () =>
          (await childrenOf(launcher!.pid)).find((p) =>
            p.cmdline.some((a) => a.endsWith("publisher/main.ts"))
          ),
        10_000,
        "the publisher process",
      );
      const ffmpeg = await until(
        async () => (await childrenOf(publisher.pid)).find((p) => p.cmdline[0].endsWith("ffmpeg")),
        10_000,
        "its ffmpeg",
      );
      // Several fragments (a keyframe per second) into a 60 s segment.
      await sleep(5500);
      const killedAt = Date.now();
      Deno.kill(publisher.pid, "SIGKILL");
      await until(() => Promise.resolve(!alive(ffmpeg.pid)), 10_000, "ffmpeg finishing after EOF");
      await launcher.status;
      launcher = null;

      const [seg] = await finishedSegments(recDir, null);
      assert.ok(seg, "the killed run's segment is there");
      const run = /^seg-(\w+)-/.exec(seg.name)![1];
      const duration = await durationOf(join(recDir, seg.name));
      const lostMs = killedAt - (parseStamp(run) + duration * 1000);
      console.log(
        `SIGKILL after ${((killedAt - parseStamp(run)) / 1000).toFixed(2)} s of recording: ` +
          `segment of ${duration.toFixed(2)} s kept, ${lostMs} ms lost (ffmpeg start included)`,
      );
      assert.ok(duration > 3, `segment ${duration} s`);
      assert.ok(lostMs <= 2000, `lost ${lostMs} ms: more than a fragment`);
      assert.ok(!seg.uploaded, "not uploaded yet: it was being written");

      // Started again: the cut run's segment goes up, recording goes on.
      launcher = await start();
      await until(
        () => server.ctx.store.recordings.find("shed", seg.id),
        30_000,
        "the killed run's segment on the server",
      );
      const stored = await storedSegment(server.dataDir, "shed", seg.id);
      assert.equal(
        await sha256Of(stored),
        await sha256Of(await Deno.readFile(join(recDir, seg.name))),
      );
      await until(
        async () => {
          for await (const e of Deno.readDir(recDir)) {
            if (e.name.endsWith(".mp4") && !e.name.includes(run)) return true;
          }
          return false;
        },
        15_000,
        "a new run recording",
      );
    } finally {
      if (launcher) await stopProcess(launcher);
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: "recordings crash safety: the server SIGKILLed mid-upload keeps no partial segment",
  ignore: ignoreWithout("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    assertBinaries("ffmpeg", "ffprobe");
    const dir = await Deno.makeTempDir({ prefix: "vigil-crash-" });
    const dataDir = join(dir, "server");
    const recDir = join(dir, "rec");
    await Deno.mkdir(recDir);
    await Deno.mkdir(join(dir, "web"));
    const [port, devicePort] = [freePort(), freePort()];
    const args = [
      "--data-dir",
      dataDir,
      "--host=127.0.0.1",
      "--port",
      String(port),
      "--device-port",
      String(devicePort),
      "--web-dir",
      join(dir, "web"),
    ];
    const flags = serverFlags(parseServeArgs(args, null));
    const startServer = async () => {
      const p = new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, "signaling/main.ts", ...args],
        cwd: REPO,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = p.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!/CA fingerprint/.test(seen)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server exited: ${seen}`);
        seen += value;
      }
      reader.releaseLock();
      p.stdout.cancel().catch(() => {});
      return p;
    };
    let server: Deno.ChildProcess | null = await startServer();
    try {
      const ca = await Deno.readTextFile(join(dataDir, "pki", "ca.pem"));
      const base = `https://localhost:${port}`;
      const added = await addDevice(dataDir, { id: "barn", ttlMs: 60_000, serverUrl: base });
      const keys = await generateDeviceKey();
      const client = Deno.createHttpClient({ caCerts: [ca] });
      const res = await fetch(`${base}/enroll`, {
        method: "POST",
        client,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: added.token, csr: await createCsr(keys, "barn") }),
      });
      client.close();
      assert.equal(res.status, 201);
      const device = {
        deviceId: "barn",
        certPem: (await res.json()).certificate,
        keyPem: await exportPrivateKeyPem(keys.privateKey),
        client: null as unknown as Deno.HttpClient,
        deviceBase: `https://localhost:${devicePort}`,
      };
      await recordSample(recDir, 4);
      const local = await finishedSegments(recDir, null);
      // ~180 kB at 400 kbit/s: each upload takes about 3.5 s.
      const up = deviceUploader(recDir, device, ca, { kbps: 400 });
      up.start();
      const incoming = join(dataDir, "recordings", ".incoming");
      const partial = await until(
        async () => {
          for await (const e of Deno.readDir(incoming)) {
            const size = (await Deno.stat(join(incoming, e.name))).size;
            if (size > 20_000) return { name: e.name, size };
          }
          return null;
        },
        15_000,
        "an upload half way",
      );
      server.kill("SIGKILL");
      await server.status;
      server = null;

      const store = await openSqliteStore(join(dataDir, "vigil.db"));
      assert.equal(await store.recordings.totalBytes(), 0, "nothing indexed");
      await store.close();
      const camDir = join(dataDir, "recordings", "barn");
      const complete = await Array.fromAsync(Deno.readDir(camDir)).catch(() => []);
      assert.deepEqual(complete, [], "no segment file in place");
      assert.ok((await Deno.stat(join(incoming, partial.name))).size < local[0].bytes);
      console.log(`server killed with ${partial.size} of ${local[0].bytes} bytes in a temp file`);

      server = await startServer();
      assert.deepEqual(
        (await Array.fromAsync(Deno.readDir(incoming))).filter((e) => e.name === partial.name),
        [],
        "the temp file is gone after the restart",
      );
      await until(
        async () => (await finishedSegments(recDir, null)).every((s) => s.uploaded),
        60_000,
        "every segment uploaded after the restart",
      );
      await up.stop();
      for (const s of local) {
        const stored = await storedSegment(dataDir, "barn", s.id);
        assert.equal(
          await sha256Of(stored),
          await sha256Of(await Deno.readFile(join(recDir, s.name))),
        );
      }
    } finally {
      if (server) {
        server.kill("SIGTERM");
        await server.status;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
