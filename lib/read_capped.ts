/**
 * Reads a byte stream to its end, up to a size limit enforced while reading:
 * past `max` bytes the stream is cancelled and nothing more is buffered.
 *
 * @example
 * ```ts
 * const bytes = await readCapped(response.body, 1 << 20);
 * if (bytes === "too_large") throw new Error("over 1 MiB");
 * ```
 * @module
 */

/** The stream's bytes (empty for no stream), or `"too_large"` once it passes `max`. */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<Uint8Array | "too_large"> {
  if (!body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => {});
      return "too_large";
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
