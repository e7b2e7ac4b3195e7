/**
 * Recording segments encrypted at rest: each file is sealed with its own
 * AES-256-GCM key, derived with HKDF-SHA256 (RFC 5869) from the server's
 * footage key, the file's random salt and its camera/segment name (a sealed
 * file moved to another name does not open). The plaintext is cut into
 * 64 KiB chunks, each sealed on its own so that a byte range is served by
 * decrypting only the chunks it touches (NIST SP 800-38D; the "online"
 * chunked construction of Hoang, Reyhanitabar, Rogaway and Vizár):
 *
 *     header (32 bytes): "VGLS" | version 1 | 3 × 0 | chunk size (u32 BE) | salt (16) | 4 × 0
 *     chunk i:           ciphertext (chunk size, the last one shorter) | tag (16)
 *
 * Chunk i's nonce is i as a 64-bit big-endian number, then a byte that is 1
 * for the last chunk only, then 3 zero bytes; the header is every chunk's
 * additional data. So chunks cannot be reordered, dropped from the end or
 * taken from another file, and a truncated file fails at its (new) last
 * chunk. Files written before sealing (plain MP4, starting with a box, never
 * with "VGLS") are read as they are.
 *
 * @example
 * ```ts
 * const key = await FootageKey.fromBytes(crypto.getRandomValues(new Uint8Array(32)));
 * const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
 * const w = await SealedWriter.start(file, key, "door", "seg-…-00001");
 * await w.write(bytes);
 * await w.finish();
 * file.close();
 * const r = await openSegment(path, key, "door", "seg-…-00001");
 * const head = await r.readAt(0, 16);
 * r.close();
 * ```
 * @module
 */

const MAGIC = [0x56, 0x47, 0x4c, 0x53]; // "VGLS"
const VERSION = 1;
/** Plaintext bytes per chunk. */
export const CHUNK_BYTES = 64 * 1024;
const HEADER_BYTES = 32;
const TAG_BYTES = 16;
/** Largest chunk size a header may name (a bound on what one read allocates). */
const MAX_CHUNK_BYTES = 1 << 20;

/** The server's footage key: 32 bytes from which each file's key is derived. */
export class FootageKey {
  private constructor(readonly hkdf: CryptoKey) {}

  /** Imports 32 secret bytes (not extractable). */
  static async fromBytes(bytes: Uint8Array<ArrayBuffer>): Promise<FootageKey> {
    if (bytes.length !== 32) throw new Error(`a footage key is 32 bytes, not ${bytes.length}`);
    return new FootageKey(
      await crypto.subtle.importKey("raw", bytes, "HKDF", false, ["deriveKey"]),
    );
  }

  /** The AES-256-GCM key of one file. */
  fileKey(salt: Uint8Array<ArrayBuffer>, camera: string, segment: string): Promise<CryptoKey> {
    return crypto.subtle.deriveKey(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt,
        info: new TextEncoder().encode(`vigil footage v1:${camera}/${segment}`),
      },
      this.hkdf,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }
}

function nonce(index: number, last: boolean): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(0, BigInt(index));
  n[8] = last ? 1 : 0;
  return n;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let n = 0;
  while (n < bytes.length) n += await file.write(bytes.subarray(n));
}

/**
 * Seals a stream of plaintext into a file as it arrives. A full chunk is
 * held back until more data comes, so that the last one is known at
 * {@linkcode SealedWriter.finish} (only it carries the last-chunk flag).
 */
export class SealedWriter {
  readonly #file: Deno.FsFile;
  readonly #key: CryptoKey;
  readonly #header: Uint8Array<ArrayBuffer>;
  readonly #buf = new Uint8Array(CHUNK_BYTES);
  #filled = 0;
  #index = 0;
  #bytes = 0;

  private constructor(file: Deno.FsFile, key: CryptoKey, header: Uint8Array<ArrayBuffer>) {
    this.#file = file;
    this.#key = key;
    this.#header = header;
  }

  /** Writes the header (a fresh salt) to `file` at its current position. */
  static async start(
    file: Deno.FsFile,
    key: FootageKey,
    camera: string,
    segment: string,
  ): Promise<SealedWriter> {
    const header = new Uint8Array(HEADER_BYTES);
    header.set(MAGIC, 0);
    header[4] = VERSION;
    new DataView(header.buffer).setUint32(8, CHUNK_BYTES);
    const salt = crypto.getRandomValues(new Uint8Array(16));
    header.set(salt, 12);
    await writeAll(file, header);
    return new SealedWriter(file, await key.fileKey(salt, camera, segment), header);
  }

  /** Appends plaintext. */
  async write(bytes: Uint8Array): Promise<void> {
    let p = 0;
    while (p < bytes.length) {
      if (this.#filled === CHUNK_BYTES) await this.#seal(false);
      const n = Math.min(CHUNK_BYTES - this.#filled, bytes.length - p);
      this.#buf.set(bytes.subarray(p, p + n), this.#filled);
      this.#filled += n;
      p += n;
    }
    this.#bytes += bytes.length;
  }

  /** Seals the last chunk; returns the plaintext's length. */
  async finish(): Promise<number> {
    await this.#seal(true);
    return this.#bytes;
  }

  async #seal(last: boolean): Promise<void> {
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce(this.#index, last), additionalData: this.#header },
      this.#key,
      this.#buf.subarray(0, this.#filled),
    );
    await writeAll(this.#file, new Uint8Array(sealed));
    this.#index++;
    this.#filled = 0;
  }
}

/** A stored segment opened for reading: its plaintext, by range. */
export interface SegmentReader {
  /** Plaintext bytes. */
  readonly size: number;
  /** Whether the file is sealed (false: written before sealing). */
  readonly sealed: boolean;
  /** `length` plaintext bytes from `offset` (fewer at the end). */
  readAt(offset: number, length: number): Promise<Uint8Array>;
  /** Plaintext bytes `start`…`end` (inclusive) as a stream; it closes the file when done. */
  stream(start: number, end: number): ReadableStream<Uint8Array>;
  /** The whole plaintext. */
  readAll(): Promise<Uint8Array>;
  close(): void;
}

async function readFull(file: Deno.FsFile, at: number, length: number): Promise<Uint8Array> {
  await file.seek(at, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let n = 0;
  while (n < length) {
    const r = await file.read(buf.subarray(n));
    if (r === null) break;
    n += r;
  }
  return buf.subarray(0, n);
}

/** Why a sealed file does not open: corrupt, altered, another name's or another key's. */
export class SealedSegmentError extends Error {}

/**
 * Opens a stored segment: a sealed one with `key` (its header checked now,
 * each chunk's tag when read), a plain one as it is.
 */
export async function openSegment(
  path: string,
  key: FootageKey,
  camera: string,
  segment: string,
): Promise<SegmentReader> {
  const file = await Deno.open(path, { read: true });
  try {
    const fileSize = (await file.stat()).size;
    const head = await readFull(file, 0, Math.min(HEADER_BYTES, fileSize));
    const sealed = head.length === HEADER_BYTES && MAGIC.every((b, i) => head[i] === b);
    if (!sealed) return plainReader(file, fileSize);
    if (head[4] !== VERSION) {
      throw new SealedSegmentError(`${segment}: sealed with an unknown version ${head[4]}`);
    }
    const chunk = new DataView(head.buffer, head.byteOffset).getUint32(8);
    if (chunk < 1 || chunk > MAX_CHUNK_BYTES) {
      throw new SealedSegmentError(`${segment}: a chunk size of ${chunk} bytes`);
    }
    const body = fileSize - HEADER_BYTES;
    const stride = chunk + TAG_BYTES;
    const chunks = Math.max(1, Math.ceil(body / stride));
    const lastCipher = body - (chunks - 1) * stride - TAG_BYTES;
    if (lastCipher < 0) throw new SealedSegmentError(`${segment}: truncated`);
    const header = Uint8Array.from(head);
    const fileKey = await key.fileKey(header.slice(12, 28), camera, segment);
    return sealedReader(file, {
      header,
      fileKey,
      chunk,
      chunks,
      size: (chunks - 1) * chunk + lastCipher,
      segment,
    });
  } catch (err) {
    file.close();
    throw err;
  }
}

function plainReader(file: Deno.FsFile, size: number): SegmentReader {
  const readAt = (offset: number, length: number) =>
    readFull(file, offset, Math.max(0, Math.min(length, size - offset)));
  return {
    size,
    sealed: false,
    readAt,
    readAll: () => readAt(0, size),
    stream: (start, end) => rangeStream(readAt, start, end, () => file.close()),
    close: () => file.close(),
  };
}

function sealedReader(
  file: Deno.FsFile,
  s: {
    header: Uint8Array<ArrayBuffer>;
    fileKey: CryptoKey;
    chunk: number;
    chunks: number;
    size: number;
    segment: string;
  },
): SegmentReader {
  // The last chunk opened: box-header checks and sequential reads touch one chunk many times.
  let cached: { index: number; plain: Uint8Array } | null = null;
  const open = async (index: number): Promise<Uint8Array> => {
    if (cached?.index === index) return cached.plain;
    const stride = s.chunk + TAG_BYTES;
    const sealed = await readFull(file, HEADER_BYTES + index * stride, stride);
    let plain: Uint8Array;
    try {
      plain = new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: nonce(index, index === s.chunks - 1),
            additionalData: s.header,
          },
          s.fileKey,
          sealed as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch {
      throw new SealedSegmentError(
        `${s.segment}: chunk ${index} does not open (altered, truncated, moved or another key)`,
      );
    }
    cached = { index, plain };
    return plain;
  };
  const readAt = async (offset: number, length: number): Promise<Uint8Array> => {
    const end = Math.min(s.size, offset + length);
    if (offset >= end) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    for (let p = offset; p < end;) {
      const index = Math.floor(p / s.chunk);
      const plain = await open(index);
      const from = p - index * s.chunk;
      const n = Math.min(plain.length - from, end - p);
      out.set(plain.subarray(from, from + n), p - offset);
      p += n;
    }
    return out;
  };
  return {
    size: s.size,
    sealed: true,
    readAt,
    readAll: () => readAt(0, s.size),
    stream: (start, end) => rangeStream(readAt, start, end, () => file.close()),
    close: () => file.close(),
  };
}

/** Bytes `start`…`end` (inclusive) in pieces of at most one chunk; `done` on end or cancel. */
function rangeStream(
  readAt: (offset: number, length: number) => Promise<Uint8Array>,
  start: number,
  end: number,
  done: () => void,
): ReadableStream<Uint8Array> {
  let p = start;
  let closed = false;
  const finish = () => {
    if (!closed) {
      closed = true;
      done();
    }
  };
  return new ReadableStream({
    async pull(controller) {
      try {
        if (p > end) {
          finish();
          return controller.close();
        }
        // Up to the next chunk boundary: each piece decrypts one chunk.
        const n = Math.min(CHUNK_BYTES - (p % CHUNK_BYTES), end - p + 1);
        const bytes = await readAt(p, n);
        if (bytes.length === 0) {
          finish();
          return controller.close();
        }
        p += bytes.length;
        controller.enqueue(bytes);
      } catch (err) {
        finish();
        controller.error(err);
      }
    },
    cancel: finish,
  });
}
