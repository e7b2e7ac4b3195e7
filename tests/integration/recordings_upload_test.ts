/**
 * Recordings copied off the camera, end to end over real mTLS: real fMP4
 * segments (the publisher's recorder, ffmpeg -c copy) uploaded by the
 * publisher's uploader to a real server; tampered uploads refused and
 * audited; a backlog recorded while the server is down uploaded when it is
 * back, nothing missing; server retention deletes the oldest.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { serverSettings } from "../../signaling/config/settings.ts";
import { startServer } from "../../signaling/server.ts";
import { finishedSegments } from "../../publisher/recorder/catalog.ts";
import { assertBinaries, ignoreWithout } from "../../publisher/sources/_needs_binary.ts";
import { enrollDevice, startTestServer } from "../helpers/server.ts";
import { deviceUploader, recordSample, sha256Of, storedSegment } from "../helpers/recordings.ts";

const put = (
  client: Deno.HttpClient,
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
) =>
  fetch(url, {
    method: "PUT",
    client,
    headers: { "content-type": "video/mp4", ...headers },
    body: body as Uint8Array<ArrayBuffer>,
  });

Deno.test({
  name: "recordings upload: stored once, hash-checked, camera from the certificate, retention",
  ignore: ignoreWithout("ffmpeg", "ffprobe"),
  fn: async (t) => {
    assertBinaries("ffmpeg", "ffprobe");
    const server = await startTestServer({ recordingsMaxSegmentBytes: 300 * 1024 });
    const rec = await Deno.makeTempDir({ prefix: "vigil-rec-" });
    try {
      const door = await enrollDevice(server, "door");
      const yard = await enrollDevice(server, "yard");
      await recordSample(rec, 4);
      const segs = await finishedSegments(rec, null);
      assert.equal(segs.length, 4, JSON.stringify(segs));
      assert.ok(segs.every((s, i) => i === 0 || s.startMs >= segs[i - 1].endMs - 1));
      const first = await Deno.readFile(join(rec, segs[0].name));
      const hash = await sha256Of(first);
      const claim = {
        "x-vigil-sha256": hash,
        "x-vigil-start": new Date(segs[0].startMs).toISOString(),
        "x-vigil-end": new Date(segs[0].endMs).toISOString(),
      };
      const urlOf = (cam: string, id: string) =>
        `${door.deviceBase}/device/recordings/${cam}/${id}`;

      await t.step(
        "tampering is refused and audited: wrong hash, oversized, another camera",
        async () => {
          const bad = async (res: Response, status: number, code: RegExp) => {
            const text = await res.text();
            assert.equal(res.status, status, text);
            assert.match(text, code);
            assert.doesNotMatch(text, /at \w+ \(|\.ts:\d+/, "no stack trace");
          };
          await bad(
            await put(door.client, urlOf("door", segs[0].id), first, {
              ...claim,
              "x-vigil-sha256": "0".repeat(64),
            }),
            422,
            /hash_mismatch/,
          );
          const flipped = first.slice();
          flipped[flipped.length - 10] ^= 0xff;
          await bad(await put(door.client, urlOf("door", segs[0].id), flipped, claim), 422, /hash/);
          const big = new Uint8Array(400 * 1024);
          await bad(
            await put(door.client, urlOf("door", segs[0].id), big, {
              ...claim,
              "x-vigil-sha256": await sha256Of(big),
            }),
            413,
            /too_large/,
          );
          // The door camera names the yard in the path: refused, nothing stored for either.
          await bad(
            await put(door.client, urlOf("yard", segs[0].id), first, claim),
            403,
            /camera_mismatch/,
          );
          const junk = new TextEncoder().encode("not an mp4 at all, just text");
          await bad(
            await put(door.client, urlOf("door", segs[0].id), junk, {
              ...claim,
              "x-vigil-sha256": await sha256Of(junk),
            }),
            422,
            /not_mp4/,
          );
          await bad(
            await put(door.client, urlOf("door", "../../etc"), first, claim),
            404,
            /not found/,
          );
          const refused = server.ctx.audit.recent.filter((e) => e.event === "recording.refused");
          assert.deepEqual(
            refused.map((e) => e.reason),
            ["hash_mismatch", "hash_mismatch", "too_large", "camera_mismatch", "not_mp4"],
          );
          assert.ok(refused.every((e) => e.device === "door"));
          assert.equal(await server.ctx.store.recordings.totalBytes(), 0, "nothing indexed");
          const incoming = [...Deno.readDirSync(join(server.dataDir, "recordings", ".incoming"))];
          assert.deepEqual(incoming, [], "no temp file left");
        },
      );

      await t.step(
        "the uploader stores every segment once; the same bytes again are 200",
        async () => {
          const up = deviceUploader(rec, door, server.ctx.pki.caPem);
          assert.equal(await up.uploadPending(), 4);
          assert.equal(await up.uploadPending(), 0, "acknowledged ones are not sent again");
          const rows = await server.ctx.store.recordings.list("door", 0, Date.now() + 3600_000);
          assert.deepEqual(rows.map((r) => r.segment), segs.map((s) => s.id));
          for (const s of segs) {
            const local = await Deno.readFile(join(rec, s.name));
            const stored = await storedSegment(server.dataDir, "door", s.id);
            assert.equal(await sha256Of(stored), await sha256Of(local));
          }
          assert.ok((await finishedSegments(rec, null)).every((s) => s.uploaded));
          const again = await put(door.client, urlOf("door", segs[0].id), first, claim);
          assert.equal(again.status, 200);
          assert.equal((await again.json()).stored, "already");
          // The yard camera's segment of the same id is its own.
          const y = await put(
            yard.client,
            `${yard.deviceBase}/device/recordings/yard/${segs[0].id}`,
            first,
            claim,
          );
          assert.equal(y.status, 201, await y.text());
          const other = first.slice();
          other[other.length - 1] ^= 1;
          const conflict = await put(door.client, urlOf("door", segs[0].id), other, {
            ...claim,
            "x-vigil-sha256": await sha256Of(other),
          });
          assert.equal(conflict.status, 409, await conflict.text());
          assert.equal(
            server.ctx.audit.recent.filter((e) => e.event === "recording.stored").length,
            5,
          );
        },
      );

      await t.step("retention: over the byte budget, the oldest go first", async () => {
        const rows = await server.ctx.store.recordings.list("door", 0, Date.now() + 3600_000);
        const total = await server.ctx.store.recordings.totalBytes();
        // Reopen the archive's limits through a server on the same data dir.
        await server.close();
        const keepBytes = total - rows[0].bytes - rows[1].bytes;
        const again = await startServer(serverSettings({
          dataDir: server.dataDir,
          host: "127.0.0.1",
          port: 0,
          devicePort: 0,
          webDir: `${server.dataDir}/web`,
          recordingsMaxBytes: keepBytes,
        }));
        try {
          const left = await again.ctx.store.recordings.list("door", 0, Date.now() + 3600_000);
          assert.deepEqual(left.map((r) => r.segment), rows.slice(2).map((r) => r.segment));
          await assert.rejects(Deno.stat(again.ctx.recordings.path("door", rows[0].segment)));
          assert.ok(await Deno.stat(again.ctx.recordings.path("door", rows[2].segment)));
          // By age: a sweep 31 days later removes everything.
          await again.ctx.recordings.sweep(Date.now() + 31 * 86_400_000);
          assert.equal(await again.ctx.store.recordings.totalBytes(), 0);
        } finally {
          await again.close();
        }
      });
    } finally {
      await Deno.remove(rec, { recursive: true });
      server.client.close();
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "recordings upload: a backlog recorded while the server is down is uploaded when it is back",
  ignore: ignoreWithout("ffmpeg", "ffprobe"),
  fn: async () => {
    assertBinaries("ffmpeg", "ffprobe");
    const first = await startTestServer();
    const rec = await Deno.makeTempDir({ prefix: "vigil-rec-" });
    const devicePort = first.devicePort;
    let second: Awaited<ReturnType<typeof startServer>> | null = null;
    try {
      const cam = await enrollDevice(first, "porch");
      await first.close(); // offline
      await recordSample(rec, 6);
      const up = deviceUploader(rec, cam, first.ctx.pki.caPem);
      assert.equal(await up.uploadPending(), 0);
      assert.ok(up.stats.failures >= 1, "the upload failed while offline");
      const backlog = await finishedSegments(rec, null);
      assert.ok(backlog.length >= 5 && backlog.every((s) => !s.uploaded), `${backlog.length}`);
      // Back, on the same data dir and device port.
      second = await startServer(serverSettings({
        dataDir: first.dataDir,
        host: "127.0.0.1",
        port: 0,
        devicePort,
        webDir: `${first.dataDir}/web`,
      }));
      up.start();
      const deadline = Date.now() + 30_000;
      while ((await finishedSegments(rec, null)).some((s) => !s.uploaded)) {
        if (Date.now() > deadline) throw new Error("backlog not uploaded in 30 s");
        await new Promise((r) => setTimeout(r, 200));
      }
      await up.stop();
      const local = await finishedSegments(rec, null);
      const rows = await second.ctx.store.recordings.list("porch", 0, Date.now() + 3600_000);
      assert.deepEqual(rows.map((r) => r.segment), local.map((s) => s.id), "nothing missing");
      assert.deepEqual(rows.map((r) => r.startMs), local.map((s) => s.startMs));
    } finally {
      await second?.close();
      first.client.close();
      await Deno.remove(rec, { recursive: true });
      await Deno.remove(first.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
