/**
 * The recordings API on a real server with real uploaded segments: listing,
 * signed segment URLs with Range, a clip of a span joined without
 * re-encoding (checked with ffprobe), snapshots from the publisher's
 * snapshotter, and the recordings grant apart from live (403 + audit).
 */
import assert from "node:assert/strict";
import { assembleAccessUnits, splitAnnexB } from "../../publisher/media/annexb.ts";
import { SAMPLE_CLIP_PATH } from "../../publisher/sources/config.ts";
import { assertBinaries, ignoreWithout } from "../../publisher/sources/_needs_binary.ts";
import { Snapshotter } from "../../publisher/recorder/snapshotter.ts";
import { userSet } from "../../signaling/admin/commands.ts";
import { silentLogger } from "../../lib/log.ts";
import { enrollDevice, loginViewer, startTestServer } from "../helpers/server.ts";
import { deviceUploader, recordSample } from "../helpers/recordings.ts";

async function ffprobe(path: string): Promise<{ duration: number; frames: number }> {
  // deno-fmt-ignore
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-count_frames", "-select_streams", "v:0",
      "-show_entries", "stream=nb_read_frames:format=duration", "-of", "json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const j = JSON.parse(new TextDecoder().decode(out.stdout));
  return { duration: Number(j.format.duration), frames: Number(j.streams[0].nb_read_frames) };
}

Deno.test({
  name:
    "recordings API: list, signed Range segments, clip, snapshot; recordings grant apart from live",
  ignore: ignoreWithout("ffmpeg", "ffprobe"),
  fn: async (t) => {
    assertBinaries("ffmpeg", "ffprobe");
    const server = await startTestServer();
    const rec = await Deno.makeTempDir({ prefix: "vigil-rec-" });
    try {
      const door = await enrollDevice(server, "door");
      await recordSample(rec, 4);
      const up = deviceUploader(rec, door, server.ctx.pki.caPem);
      assert.equal(await up.uploadPending(), 4);
      const alice = await loginViewer(server, "alice", ["door"]);
      await userSet(server.target, "alice", { recordings: ["door"] });
      const bob = await loginViewer(server, "bob", ["door"]); // live only
      const api = (path: string, token: string, init: RequestInit = {}) =>
        fetch(`${server.base}${path}`, {
          ...init,
          client: server.client,
          headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
        });
      const day = `from=${new Date(Date.now() - 3600_000).toISOString()}&to=${
        new Date(Date.now() + 3600_000).toISOString()
      }`;

      let segments: { start: string; end: string; bytes: number; url: string }[] = [];
      await t.step("the list: every uploaded segment with its span and a signed URL", async () => {
        const res = await api(`/api/cameras/door/recordings?${day}`, alice.token);
        assert.equal(res.status, 200);
        segments = (await res.json()).segments;
        assert.equal(segments.length, 4);
        for (let i = 1; i < 4; i++) assert.ok(segments[i].start >= segments[i - 1].start);
        assert.match(
          segments[0].url,
          /^\/media\/recordings\/door\/seg-.*\.mp4\?user=alice&exp=\d+&sig=/,
        );
        const bad = await api(`/api/cameras/door/recordings?from=yesterday&to=now`, alice.token);
        assert.equal(bad.status, 400);
        assert.match(await bad.text(), /ISO 8601/);
      });

      await t.step(
        "a segment URL serves video/mp4 with Range; a changed signature is 403",
        async () => {
          const url = `${server.base}${segments[0].url}`;
          const whole = await fetch(url, { client: server.client });
          assert.equal(whole.status, 200);
          assert.equal(whole.headers.get("content-type"), "video/mp4");
          const all = await whole.bytes();
          assert.equal(all.length, segments[0].bytes);
          assert.deepEqual(
            [...all.subarray(4, 8)].map((b) => String.fromCharCode(b)).join(""),
            "ftyp",
          );
          const part = await fetch(url, {
            client: server.client,
            headers: { range: "bytes=100-199" },
          });
          assert.equal(part.status, 206);
          assert.equal(part.headers.get("content-range"), `bytes 100-199/${segments[0].bytes}`);
          assert.deepEqual(
            await part.bytes(),
            all.subarray(100, 200),
            "the range of the plaintext",
          );
          const tail = await fetch(url, { client: server.client, headers: { range: "bytes=-10" } });
          assert.equal((await tail.bytes()).length, 10);
          const off = await fetch(url, {
            client: server.client,
            headers: { range: `bytes=${segments[0].bytes}-` },
          });
          assert.equal(off.status, 416);
          await off.body?.cancel();
          const forged = await fetch(url.replace(/sig=./, "sig=A"), { client: server.client });
          assert.equal(forged.status, 403);
          await forged.body?.cancel();
          const asBob = await fetch(url.replace("user=alice", "user=bob"), {
            client: server.client,
          });
          assert.equal(asBob.status, 403, "a signature is for one user");
          await asBob.body?.cancel();
          assert.ok(server.ctx.audit.recent.some((e) => e.event === "recording.viewed"));
        },
      );

      await t.step(
        "a clip of a span: one MP4 of whole GOPs, the length asked (ffprobe)",
        async () => {
          const from = Date.parse(segments[1].start) + 300;
          const to = Date.parse(segments[3].start) + 200;
          const started = performance.now();
          const res = await api(
            `/api/cameras/door/clip?from=${new Date(from).toISOString()}&to=${
              new Date(to).toISOString()
            }`,
            alice.token,
          );
          const ms = performance.now() - started;
          assert.equal(res.status, 200, await res.clone().text());
          assert.equal(res.headers.get("content-type"), "video/mp4");
          assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="door-/);
          const path = `${rec}/clip.mp4`;
          await Deno.writeFile(path, await res.bytes());
          const p = await ffprobe(path);
          // Keyframe every second: the clip runs from the GOP at or before `from`
          // through the GOP holding `to`: segments 1, 2 and the first GOP of 3.
          assert.ok(Math.abs(p.duration - 3) < 0.1, `duration ${p.duration}`);
          assert.equal(p.frames, 90);
          console.log(`clip of ${p.duration.toFixed(2)} s built in ${ms.toFixed(0)} ms`);
          const none = await api(
            `/api/cameras/door/clip?from=2001-01-01T00:00:00Z&to=2001-01-01T00:10:00Z`,
            alice.token,
          );
          assert.equal(none.status, 404);
          await none.body?.cancel();
        },
      );

      await t.step("a live-only viewer gets 403 on every recordings route, audited", async () => {
        for (
          const path of [`/api/cameras/door/recordings?${day}`, `/api/cameras/door/clip?${day}`]
        ) {
          const res = await api(path, bob.token);
          assert.equal(res.status, 403, path);
          assert.match(await res.text(), /recordings/);
        }
        const denied = server.ctx.audit.recent.filter((e) =>
          e.event === "recording.denied" && e.user === "bob"
        );
        assert.ok(denied.length >= 3, JSON.stringify(denied));
        // Taking the grant away applies to the next request.
        await userSet(server.target, "alice", { recordings: [] });
        const gone = await api(`/api/cameras/door/recordings?${day}`, alice.token);
        assert.equal(gone.status, 403);
        await gone.body?.cancel();
        const link = await fetch(`${server.base}${segments[0].url}`, { client: server.client });
        assert.equal(link.status, 403, "signed URLs die with the grant");
        await link.body?.cancel();
      });

      await t.step(
        "snapshot: a JPEG of a keyframe from the publisher, at most every 2 s",
        async () => {
          const snap = new Snapshotter({
            intervalMs: 60_000,
            connect: () =>
              Promise.resolve({
                baseUrl: door.deviceBase,
                deviceId: "door",
                client: Deno.createHttpClient({
                  caCerts: [server.ctx.pki.caPem],
                  cert: door.certPem,
                  key: door.keyPem,
                }),
              }),
            logger: silentLogger,
          });
          const aus = assembleAccessUnits(splitAnnexB(await Deno.readFile(SAMPLE_CLIP_PATH)));
          for (const au of aus.slice(0, 40)) {
            snap.write({ ...au, timestamp: 0, captureTimeMs: Date.now() });
          }
          assert.equal(await snap.takeOne(), true);
          assert.equal(await snap.takeOne(), false, "too soon: 429");
          const res = await api(`/api/cameras/door/snapshot`, bob.token);
          assert.equal(res.status, 200);
          assert.equal(res.headers.get("content-type"), "image/jpeg");
          const jpeg = await res.bytes();
          assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
          await Deno.writeFile(`${rec}/snap.jpg`, jpeg);
          const out = await new Deno.Command("ffprobe", {
            args: [
              "-v",
              "error",
              "-show_entries",
              "stream=width,codec_name",
              "-of",
              "csv=p=0",
              `${rec}/snap.jpg`,
            ],
            stdout: "piped",
          }).output();
          assert.equal(new TextDecoder().decode(out.stdout).trim(), "mjpeg,640");
          const other = await loginViewer(server, "carol", ["yard"]);
          const no = await api(`/api/cameras/door/snapshot`, other.token);
          assert.equal(no.status, 403);
          await no.body?.cancel();
        },
      );
      await t.step(
        "a stored file altered on disk: its link answers 500 (audited), the clip leaves it out",
        async () => {
          await userSet(server.target, "alice", { recordings: ["door"] }); // taken away above
          const seg = segments[1].url.match(/(seg-[^.]+)\.mp4/)![1];
          const path = server.ctx.recordings.path("door", seg);
          const good = await Deno.readFile(path);
          const altered = Uint8Array.from(good);
          altered[20] ^= 1; // the header's salt
          await Deno.writeFile(path, altered);
          const res = await fetch(`${server.base}${segments[1].url}`, { client: server.client });
          assert.equal(res.status, 500);
          const body = await res.json();
          assert.equal(body.error, "unreadable");
          assert.doesNotMatch(JSON.stringify(body), /chunk|salt|key/, "no detail for the client");
          assert.ok(server.ctx.audit.recent.some((e) => e.event === "recording.unreadable"));
          const span = `from=${segments[0].start}&to=${segments[2].end}`;
          const clip = await api(`/api/cameras/door/clip?${span}`, alice.token);
          assert.equal(clip.status, 200, "the other segments still make a clip");
          await clip.body?.cancel();
          await Deno.writeFile(path, good);
          const again = await fetch(`${server.base}${segments[1].url}`, { client: server.client });
          assert.equal(again.status, 200);
          await again.body?.cancel();
        },
      );
    } finally {
      await Deno.remove(rec, { recursive: true });
      await server.stop();
    }
  },
});
