import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CHUNK_BYTES,
  FootageKey,
  openSegment,
  SealedSegmentError,
  SealedWriter,
} from "./sealed_segment.ts";

const randomKey = () => FootageKey.fromBytes(crypto.getRandomValues(new Uint8Array(32)));

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

/** Seals `plain` into `path`, in pieces of `piece` bytes as an upload arrives. */
async function seal(path: string, key: FootageKey, plain: Uint8Array, piece = 10_000) {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  try {
    const w = await SealedWriter.start(file, key, "door", "seg-1");
    for (let p = 0; p < plain.length; p += piece) await w.write(plain.subarray(p, p + piece));
    assert.equal(await w.finish(), plain.length);
  } finally {
    file.close();
  }
}

async function text(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test("sealed segments: any length round-trips, by range and as a stream", async () => {
  const dir = await Deno.makeTempDir();
  const key = await randomKey();
  try {
    for (const n of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 5]) {
      const path = join(dir, `s${n}`);
      const plain = pattern(n);
      await seal(path, key, plain);
      const onDisk = await Deno.readFile(path);
      assert.equal(onDisk.length, 32 + n + 16 * Math.max(1, Math.ceil(n / CHUNK_BYTES)));
      const r = await openSegment(path, key, "door", "seg-1");
      assert.equal(r.sealed, true);
      assert.equal(r.size, n);
      assert.deepEqual(await r.readAll(), plain);
      for (const [at, len] of [[0, 16], [CHUNK_BYTES - 3, 7], [n - 5, 100], [n + 1, 10]]) {
        const start = Math.max(0, at);
        assert.deepEqual(
          await r.readAt(start, len),
          plain.subarray(start, start + len),
          `${n}@${at}`,
        );
      }
      if (n > 10) {
        assert.deepEqual(await text(r.stream(3, n - 2)), plain.subarray(3, n - 1));
      } else r.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sealed segments: nothing of the plaintext is on disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plain = new TextEncoder().encode("ftypisom".repeat(20_000));
    await seal(join(dir, "s"), await randomKey(), plain);
    const disk = new TextDecoder("latin1").decode(await Deno.readFile(join(dir, "s")));
    assert.ok(disk.startsWith("VGLS"));
    assert.ok(!disk.includes("ftyp"), "no plaintext box name on disk");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sealed segments: altered, truncated, reordered, moved or another key: refused", async () => {
  const dir = await Deno.makeTempDir();
  const key = await randomKey();
  const path = join(dir, "s");
  const plain = pattern(3 * CHUNK_BYTES + 100);
  await seal(path, key, plain);
  const good = await Deno.readFile(path);
  const stride = CHUNK_BYTES + 16;
  const refused = async (bytes: Uint8Array, why: string, k = key, segment = "seg-1") => {
    await Deno.writeFile(path, bytes);
    const r = await openSegment(path, k, "door", segment).catch((e) => e);
    if (r instanceof Error) {
      assert.ok(r instanceof SealedSegmentError, `${why}: ${r}`);
      return;
    }
    try {
      await assert.rejects(r.readAll(), SealedSegmentError, why);
    } finally {
      r.close();
    }
  };
  try {
    const flipped = Uint8Array.from(good);
    flipped[32 + stride + 10] ^= 1;
    await refused(flipped, "a flipped bit");
    await refused(good.subarray(0, 32 + 2 * stride), "cut at a chunk boundary");
    await refused(good.subarray(0, good.length - 1), "cut inside the last chunk");
    const swapped = Uint8Array.from(good);
    swapped.set(good.subarray(32, 32 + stride), 32 + stride);
    swapped.set(good.subarray(32 + stride, 32 + 2 * stride), 32);
    await refused(swapped, "two chunks swapped");
    const header = Uint8Array.from(good);
    header[20] ^= 1; // the salt: another file key, and the header is every chunk's AAD
    await refused(header, "an altered header");
    await refused(good, "another segment's name", key, "seg-2");
    await refused(good, "another footage key", await randomKey());
    const version = Uint8Array.from(good);
    version[4] = 9;
    await refused(version, "an unknown version");
    await Deno.writeFile(path, good);
    const r = await openSegment(path, key, "door", "seg-1");
    assert.deepEqual(await r.readAll(), plain, "the untouched file still opens");
    r.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sealed segments: a file from before sealing is read as it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const plain = pattern(1000);
    plain.set([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70], 0); // an ftyp box
    await Deno.writeFile(join(dir, "old.mp4"), plain);
    const r = await openSegment(join(dir, "old.mp4"), await randomKey(), "door", "seg-1");
    assert.equal(r.sealed, false);
    assert.equal(r.size, 1000);
    assert.deepEqual(await r.readAt(990, 50), plain.subarray(990));
    assert.deepEqual(await text(r.stream(0, 999)), plain);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
