/**
 * Just enough of fragmented MP4 (ISO/IEC 14496-12) to cut and join the
 * cameras' segments without re-encoding: find the init part (`ftyp`+`moov`),
 * each fragment (`moof`+`mdat`) with its decode time and duration (`tfdt`,
 * `trun`/`tfhd`/`trex` sample durations), and write one file whose fragments
 * are renumbered (`mfhd`) and retimed (`tfdt`) to run on without gaps. The
 * segments are written with `default_base_moof`, so data offsets are relative
 * to each `moof` and a fragment moves as one block. Pure: bytes in, bytes out.
 * @module
 */

interface Box {
  type: string;
  start: number;
  /** Start of the payload (after size/type, and the 64-bit size if any). */
  body: number;
  end: number;
}

function boxes(b: Uint8Array, start: number, end: number): Box[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Box[] = [];
  let o = start;
  while (o + 8 <= end) {
    let size = v.getUint32(o);
    let body = o + 8;
    if (size === 1) {
      size = Number(v.getBigUint64(o + 8));
      body = o + 16;
    } else if (size === 0) size = end - o;
    if (size < 8 || o + size > end) throw new Error(`bad box at ${o}`);
    out.push({
      type: String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]),
      start: o,
      body,
      end: o + size,
    });
    o += size;
  }
  return out;
}

const child = (b: Uint8Array, parent: Box, type: string) =>
  boxes(b, parent.body, parent.end).find((x) => x.type === type);

function path(b: Uint8Array, from: Box, ...types: string[]): Box | undefined {
  let cur: Box | undefined = from;
  for (const t of types) {
    if (!cur) return undefined;
    cur = child(b, cur, t);
  }
  return cur;
}

/** One fragment of a segment. */
export interface Fragment {
  /** Byte range of `moof` through its `mdat`. */
  start: number;
  end: number;
  /** Decode time and duration in the track's timescale. */
  decodeTime: number;
  duration: number;
  samples: number;
}

/** The structure of one segment. */
export interface SegmentLayout {
  /** `ftyp`+`moov` bytes range (the init part). */
  initEnd: number;
  timescale: number;
  fragments: Fragment[];
}

/** Reads the layout of a fragmented MP4 with one track. Throws on anything else. */
export function segmentLayout(b: Uint8Array): SegmentLayout {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const top = boxes(b, 0, b.length);
  const moov = top.find((x) => x.type === "moov");
  if (top[0]?.type !== "ftyp" || !moov) throw new Error("not a fragmented MP4 (no ftyp/moov)");
  const mdhd = path(b, moov, "trak", "mdia", "mdhd");
  if (!mdhd) throw new Error("no mdhd");
  const timescale = b[mdhd.body] === 1 ? v.getUint32(mdhd.body + 20) : v.getUint32(mdhd.body + 12);
  const trex = path(b, moov, "mvex", "trex");
  const trexDuration = trex ? v.getUint32(trex.body + 12) : 0;
  const fragments: Fragment[] = [];
  for (let i = 0; i < top.length; i++) {
    const moof = top[i];
    if (moof.type !== "moof") continue;
    const mdat = top[i + 1];
    if (mdat?.type !== "mdat") throw new Error("moof without mdat");
    const traf = child(b, moof, "traf");
    const tfhd = traf && child(b, traf, "tfhd");
    const tfdt = traf && child(b, traf, "tfdt");
    const trun = traf && child(b, traf, "trun");
    if (!tfhd || !tfdt || !trun) throw new Error("fragment without tfhd/tfdt/trun");
    const decodeTime = b[tfdt.body] === 1
      ? Number(v.getBigUint64(tfdt.body + 4))
      : v.getUint32(tfdt.body + 4);
    const hf = v.getUint32(tfhd.body) & 0xffffff;
    let p = tfhd.body + 8;
    if (hf & 0x1) p += 8;
    if (hf & 0x2) p += 4;
    const defaultDuration = hf & 0x8 ? v.getUint32(p) : trexDuration;
    const rf = v.getUint32(trun.body) & 0xffffff;
    const count = v.getUint32(trun.body + 4);
    let q = trun.body + 8 + (rf & 0x1 ? 4 : 0) + (rf & 0x4 ? 4 : 0);
    const per = [0x100, 0x200, 0x400, 0x800].filter((f) => rf & f).length * 4;
    let duration = 0;
    for (let s = 0; s < count; s++, q += per) {
      duration += rf & 0x100 ? v.getUint32(q) : defaultDuration;
    }
    fragments.push({ start: moof.start, end: mdat.end, decodeTime, duration, samples: count });
    i++;
  }
  return { initEnd: moov.end, timescale, fragments };
}

/** A stored segment: its bytes and wall-clock start. */
export interface ClipSource {
  data: Uint8Array;
  startMs: number;
}

/**
 * One fragmented MP4 covering [fromMs, toMs): the first segment's init part,
 * then every fragment that overlaps the span (so it starts on the keyframe at
 * or before `fromMs`), renumbered and retimed back to back. Returns the bytes
 * and the wall-clock start of its first frame, or null when nothing overlaps.
 *
 * @example
 * ```ts
 * const clip = buildClip([{ data, startMs }], startMs + 2000, startMs + 5000);
 * ```
 */
export function buildClip(
  sources: ClipSource[],
  fromMs: number,
  toMs: number,
): { bytes: Uint8Array; startMs: number; durationMs: number } | null {
  const picked: { data: Uint8Array; f: Fragment }[] = [];
  let init: Uint8Array | null = null;
  let timescale = 0;
  let firstMs = 0;
  for (const s of sources) {
    const layout = segmentLayout(s.data);
    for (const f of layout.fragments) {
      const a = s.startMs + (f.decodeTime * 1000) / layout.timescale;
      const z = a + (f.duration * 1000) / layout.timescale;
      if (z <= fromMs || a >= toMs) continue;
      if (!init) {
        init = s.data.subarray(0, layout.initEnd);
        timescale = layout.timescale;
        firstMs = a;
      }
      // Segments of one camera share a timescale; rescale if one does not.
      const scale = timescale / layout.timescale;
      picked.push({
        data: s.data,
        f: { ...f, duration: Math.round(f.duration * scale) },
      });
    }
  }
  if (!init) return null;
  const total = init.length + picked.reduce((n, p) => n + p.f.end - p.f.start, 0);
  const out = new Uint8Array(total);
  out.set(init, 0);
  let o = init.length;
  let time = 0;
  let seq = 1;
  for (const p of picked) {
    const frag = p.data.subarray(p.f.start, p.f.end);
    out.set(frag, o);
    const v = new DataView(out.buffer, o, frag.length);
    const moof = boxes(frag, 0, frag.length)[0];
    for (const x of boxes(frag, moof.body, moof.end)) {
      if (x.type === "mfhd") v.setUint32(x.body + 4, seq++);
      if (x.type !== "traf") continue;
      const tfdt = boxes(frag, x.body, x.end).find((y) => y.type === "tfdt")!;
      if (frag[tfdt.body] === 1) v.setBigUint64(tfdt.body + 4, BigInt(time));
      else v.setUint32(tfdt.body + 4, time);
    }
    time += p.f.duration;
    o += frag.length;
  }
  return { bytes: out, startMs: firstMs, durationMs: (time * 1000) / timescale };
}
