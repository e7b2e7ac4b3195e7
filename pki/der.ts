/**
 * The few DER encoders the PKI needs that @peculiar/x509 does not expose:
 * the CRL number extension value and the PKCS#8 wrapper for SEC1 EC keys.
 * Pure functions, no I/O.
 */

const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_SEQUENCE = 0x30;

/**
 * A DER TLV: `tag`, definite length, `content`.
 *
 * @example
 * ```ts
 * derTlv(0x04, new Uint8Array([1])); // 04 01 01
 * ```
 */
export function derTlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const len = content.length;
  let header: number[];
  if (len < 0x80) {
    header = [tag, len];
  } else {
    const lenBytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n % 256);
    header = [tag, 0x80 | lenBytes.length, ...lenBytes];
  }
  const out = new Uint8Array(header.length + len);
  out.set(header);
  out.set(content, header.length);
  return out;
}

/**
 * DER INTEGER of a non-negative value, minimal length, with a 0x00 sign byte
 * when the top bit would otherwise read as negative.
 *
 * @example
 * ```ts
 * derUnsignedInteger(128); // 02 02 00 80
 * ```
 */
export function derUnsignedInteger(value: bigint | number): Uint8Array<ArrayBuffer> {
  let n = BigInt(value);
  if (n < 0n) throw new RangeError("derUnsignedInteger: negative value");
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return derTlv(TAG_INTEGER, new Uint8Array(bytes));
}

/**
 * DER SEQUENCE of already-encoded elements.
 *
 * @example
 * ```ts
 * derSequence(derUnsignedInteger(0)); // 30 03 02 01 00
 * ```
 */
export function derSequence(...elements: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = elements.reduce((n, e) => n + e.length, 0);
  const content = new Uint8Array(total);
  let offset = 0;
  for (const e of elements) {
    content.set(e, offset);
    offset += e.length;
  }
  return derTlv(TAG_SEQUENCE, content);
}

/**
 * DER OCTET STRING wrapping `content`.
 *
 * @example
 * ```ts
 * derOctetString(new Uint8Array([0xab])); // 04 01 ab
 * ```
 */
export function derOctetString(content: Uint8Array): Uint8Array<ArrayBuffer> {
  return derTlv(TAG_OCTET_STRING, content);
}

/** One DER element read from a buffer. */
export interface DerElement {
  tag: number;
  /** The whole element, header included (a view into the input). */
  der: Uint8Array;
  /** The content octets (a view into the input). */
  content: Uint8Array;
  /** Offset just past this element. */
  end: number;
}

/**
 * Reads the DER element at `offset`: single-byte tags and definite lengths
 * only (all this PKI reads). Throws `RangeError` on truncated or
 * non-minimal input.
 *
 * @example
 * ```ts
 * const { tag, content } = readDer(der); // tag 0x30 for a SEQUENCE
 * ```
 */
export function readDer(bytes: Uint8Array, offset = 0): DerElement {
  if (offset + 2 > bytes.length) throw new RangeError("DER: truncated header");
  const tag = bytes[offset];
  if ((tag & 0x1f) === 0x1f) throw new RangeError("DER: multi-byte tags are not supported");
  let length = bytes[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new RangeError("DER: unsupported length");
    if (start + count > bytes.length) throw new RangeError("DER: truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i];
    if (length < 0x80 || bytes[start] === 0) throw new RangeError("DER: non-minimal length");
    start += count;
  }
  const end = start + length;
  if (end > bytes.length) throw new RangeError("DER: truncated content");
  return { tag, der: bytes.subarray(offset, end), content: bytes.subarray(start, end), end };
}

/**
 * The elements that make up a constructed element's content.
 *
 * @example
 * ```ts
 * const [version, algorithm, key] = readDerChildren(readDer(pkcs8).content);
 * ```
 */
export function readDerChildren(content: Uint8Array): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = 0; offset < content.length;) {
    const child = readDer(content, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}
