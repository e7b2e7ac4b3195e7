/**
 * A cheap structural check of an uploaded segment: its top-level ISO BMFF
 * boxes (ISO/IEC 14496-12 §4.2) tile the file exactly, it starts with `ftyp`,
 * has a `moov`, and at least one `moof`+`mdat` fragment. Only box headers are
 * read, never the media.
 * @module
 */

/** Reads `length` bytes at `offset` (fewer at the end). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** The top-level box types of a file, or why it is not a fragmented MP4. */
export async function checkFragmentedMp4(
  readAt: ReadAt,
  size: number,
): Promise<{ ok: true; boxes: string[] } | { ok: false; reason: string }> {
  const boxes: string[] = [];
  let offset = 0;
  while (offset < size) {
    if (boxes.length > 100_000) return { ok: false, reason: "too many boxes" };
    const h = await readAt(offset, 16);
    if (h.length < 8) return { ok: false, reason: `truncated box header at ${offset}` };
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
    let len = v.getUint32(0);
    const type = String.fromCharCode(h[4], h[5], h[6], h[7]);
    if (!/^[a-z0-9 ]{4}$/i.test(type)) return { ok: false, reason: `not a box at ${offset}` };
    if (len === 1) {
      if (h.length < 16) return { ok: false, reason: `truncated large box at ${offset}` };
      len = Number(v.getBigUint64(8));
    } else if (len === 0) len = size - offset; // to the end of the file
    if (len < 8 || offset + len > size) {
      return { ok: false, reason: `box ${type} at ${offset} overruns the file` };
    }
    boxes.push(type);
    offset += len;
  }
  if (boxes[0] !== "ftyp") return { ok: false, reason: "does not start with ftyp" };
  if (!boxes.includes("moov")) return { ok: false, reason: "no moov box" };
  const moof = boxes.indexOf("moof");
  if (moof < 0 || !boxes.slice(moof).includes("mdat")) {
    return { ok: false, reason: "no moof+mdat fragment" };
  }
  return { ok: true, boxes };
}
