import assert from "node:assert/strict";
import type { AccessUnit } from "../media/access_unit.ts";
import { assembleAccessUnits, splitAnnexB } from "../media/annexb.ts";
import { SAMPLE_CLIP_PATH } from "../sources/config.ts";
import { assertBinaries, ignoreWithout } from "../sources/_needs_binary.ts";
import { silentLogger } from "../../lib/log.ts";
import { SegmentRecorder } from "./segment_recorder.ts";
import { listSegments } from "./sweeper.ts";

async function probe(path: string): Promise<{ codec: string; frames: number }> {
  // deno-fmt-ignore
  const out = await new Deno.Command("ffprobe", {
    args: [
      "-v", "error",
      "-count_frames",
      "-select_streams", "v:0",
      "-show_entries", "stream=codec_name,nb_read_frames",
      "-of", "json",
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const stream = JSON.parse(new TextDecoder().decode(out.stdout)).streams[0];
  return { codec: stream.codec_name, frames: Number(stream.nb_read_frames) };
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function sampleAccessUnits(): Promise<AccessUnit[]> {
  const raw = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE_CLIP_PATH)));
  return raw.map((au, i) => ({ ...au, timestamp: i * 3000, captureTimeMs: Date.now() }));
}

Deno.test({
  name: "SegmentRecorder (ffmpeg -c copy → fMP4 segments)",
  ignore: ignoreWithout("ffmpeg", "ffprobe"),
  fn: async (t) => {
    assertBinaries("ffmpeg", "ffprobe");
    const aus = await sampleAccessUnits();

    await t.step("segments are H.264 with every frame; stop finalizes the last one", async () => {
      const dir = await Deno.makeTempDir();
      try {
        const recorder = new SegmentRecorder({
          dir,
          fps: 30,
          segmentSeconds: 1,
          logger: silentLogger,
        });
        await recorder.start();
        await until(() => recorder.ready);
        assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
        // Starts at a keyframe even if the stream is joined mid-GOP.
        assert.equal(recorder.write(aus[5]), undefined);
        for (const au of aus) await recorder.write(au);
        await recorder.stop();
        assert.equal(recorder.pid, null);
        const segments = (await listSegments(dir)).map((s) => s.name).sort();
        assert.equal(segments.length, 4, segments.join());
        let frames = 0;
        for (const name of segments) {
          const p = await probe(`${dir}/${name}`);
          assert.equal(p.codec, "h264");
          assert.ok(p.frames > 0);
          frames += p.frames;
        }
        assert.equal(frames, 120);
        assert.deepEqual(
          [recorder.stats.written, recorder.stats.dropped],
          [120, 1],
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step(
      "ffmpeg killed mid-run: its segment stays playable, recording resumes on a keyframe",
      async () => {
        const dir = await Deno.makeTempDir();
        try {
          const recorder = new SegmentRecorder({
            dir,
            fps: 30,
            segmentSeconds: 60,
            backoff: { initialMs: 20 },
            logger: silentLogger,
          });
          await recorder.start();
          await until(() => recorder.ready);
          for (const au of aus.slice(0, 45)) await recorder.write(au);
          const first = recorder.pid!;
          Deno.kill(first, "SIGTERM"); // ffmpeg acts on it at its next read
          for (const au of aus.slice(45)) {
            await recorder.write(au);
            await new Promise((r) => setTimeout(r, 5));
          }
          await recorder.stop();
          const segments = (await listSegments(dir)).map((s) => s.name).sort();
          assert.equal(segments.length, 2, segments.join());
          const probes = await Promise.all(segments.map((n) => probe(`${dir}/${n}`)));
          assert.ok(probes.every((p) => p.codec === "h264"));
          assert.ok(
            probes[0].frames >= 30 && probes[0].frames <= 46,
            `first run ${probes[0].frames}`,
          );
          assert.ok(
            probes[1].frames > 0 && probes[1].frames % 30 === 0,
            `second run ${probes[1].frames}`,
          );
          assert.equal(recorder.stats.restarts, 1);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );

    await t.step(
      "SIGTERM to the publisher (installChildCleanup) finalizes the current segment",
      async () => {
        const dir = await Deno.makeTempDir();
        try {
          const main = `${dir}/main.ts`;
          const url = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
          await Deno.writeTextFile(
            main,
            `import { SegmentRecorder } from ${url("./segment_recorder.ts")};
import { installChildCleanup } from ${url("../sources/supervisor.ts")};
import { silentLogger } from ${url("../../lib/log.ts")};
import { assembleAccessUnits, splitAnnexB } from ${url("../media/annexb.ts")};
installChildCleanup({ graceMs: 3000 });
const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(Deno.args[0])));
const recorder = new SegmentRecorder({ dir: Deno.args[1], fps: 30, segmentSeconds: 600, logger: silentLogger });
await recorder.start();
while (!recorder.ready) await new Promise((r) => setTimeout(r, 5));
for (let i = 0;; i++) {
  await recorder.write({ ...aus[i % aus.length], timestamp: i * 3000, captureTimeMs: Date.now() });
  if (i === 50) console.log("written");
  await new Promise((r) => setTimeout(r, 2));
}
`,
          );
          const rec = `${dir}/rec`;
          const proc = new Deno.Command(Deno.execPath(), {
            args: ["run", "--no-lock", "-A", main, SAMPLE_CLIP_PATH, rec],
            stdout: "piped",
            stderr: "inherit",
          }).spawn();
          const reader = proc.stdout.getReader();
          await reader.read();
          const ffmpegPid = Number(
            (await Deno.readTextFile(`/proc/${proc.pid}/task/${proc.pid}/children`)).trim().split(
              /\s+/,
            )[0],
          );
          proc.kill("SIGTERM");
          const status = await proc.status;
          reader.releaseLock();
          await proc.stdout.cancel();
          assert.equal(status.code, 143);
          assert.equal(status.signal, null);
          assert.equal(await Deno.stat(`/proc/${ffmpegPid}`).then(() => true, () => false), false);
          const segments = await listSegments(rec);
          assert.equal(segments.length, 1);
          const p = await probe(`${rec}/${segments[0].name}`);
          assert.equal(p.codec, "h264");
          assert.ok(p.frames > 50, `${p.frames} frames`);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      },
    );
  },
});
