/**
 * Byte encodings used across the PKI: hex, base64, base64url and PEM.
 * Pure functions, no I/O.
 */
import { PkiError } from "./errors.ts";

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0, 171])); // "00ab"
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Bytes of an even-length hex string (either case); throws `RangeError` otherwise.
 *
 * @example
 * ```ts
 * fromHex("00ab"); // Uint8Array [0, 171]
 * ```
 */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new RangeError("not an even-length hex string");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Standard base64 (with padding) of `bytes`.
 *
 * @example
 * ```ts
 * toBase64(new Uint8Array([255])); // "/w=="
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked so large inputs don't overflow the argument limit of fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Bytes of a standard base64 string; throws `RangeError` if it is not canonical base64.
 *
 * @example
 * ```ts
 * fromBase64("/w=="); // Uint8Array [255]
 * ```
 */
export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    throw new RangeError("not a base64 string");
  }
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Unpadded base64url (RFC 4648 §5) of `bytes`, as used in JOSE.
 *
 * @example
 * ```ts
 * toBase64Url(new Uint8Array([255, 254])); // "__4"
 * ```
 */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** One decoded PEM block. */
export interface PemBlock {
  label: string;
  der: Uint8Array<ArrayBuffer>;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * All PEM blocks in `text`, in order. Text between blocks is ignored (as
 * openssl does); a block with a mismatched END label, RFC 1421 headers or bad
 * base64 throws `PkiError("pem_malformed")`, and so does text with no block.
 *
 * @example
 * ```ts
 * const [leaf, ...chain] = decodePemBlocks(await Deno.readTextFile("chain.pem"));
 * ```
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const [, label, body, endLabel] = m;
    if (label !== endLabel) {
      throw new PkiError("pem_malformed", `PEM block BEGIN ${label} ends with END ${endLabel}`);
    }
    let der: Uint8Array<ArrayBuffer>;
    try {
      der = fromBase64(body.replace(/\s+/g, ""));
    } catch {
      throw new PkiError("pem_malformed", `PEM block ${label} has an invalid body`);
    }
    if (der.length === 0) throw new PkiError("pem_malformed", `PEM block ${label} is empty`);
    blocks.push({ label, der });
  }
  if (blocks.length === 0) throw new PkiError("pem_malformed", "no PEM block found");
  return blocks;
}

/**
 * DER bytes of the first PEM block in `pem`, whatever its label.
 * Throws `PkiError("pem_malformed")`.
 *
 * @example
 * ```ts
 * const der = pemToDer(caPem);
 * ```
 */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  return decodePemBlocks(pem)[0].der;
}

/**
 * PEM text for `der` under `label` (e.g. "CERTIFICATE", "X509 CRL"), with
 * 64-column lines and a trailing newline.
 *
 * @example
 * ```ts
 * derToPem(crlDer, "X509 CRL"); // "-----BEGIN X509 CRL-----\n..."
 * ```
 */
export function derToPem(der: Uint8Array, label: string): string {
  if (!/^[A-Z0-9]+( [A-Z0-9]+)*$/.test(label)) throw new RangeError(`bad PEM label: ${label}`);
  const body = toBase64(der).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * DER of a PEM (first block, which must carry one of `labels`) or of raw DER
 * bytes passed through. Any problem throws `PkiError(code)`, so each caller
 * reports errors in its own domain ("cert_malformed", "csr_malformed", ...).
 *
 * @example
 * ```ts
 * const der = derOf(certPemOrDer, ["CERTIFICATE"], "cert_malformed");
 * ```
 */
export function derOf(
  input: string | Uint8Array,
  labels: readonly string[],
  code: string,
): Uint8Array<ArrayBuffer> {
  if (typeof input !== "string") {
    if (!(input instanceof Uint8Array) || input.length === 0) {
      throw new PkiError(code, "expected PEM text or non-empty DER bytes");
    }
    return new Uint8Array(input);
  }
  let block: PemBlock;
  try {
    block = decodePemBlocks(input)[0];
  } catch (err) {
    throw new PkiError(code, (err as Error).message, { cause: err });
  }
  if (!labels.includes(block.label)) {
    throw new PkiError(code, `expected PEM ${labels[0]}, got ${block.label}`);
  }
  return block.der;
}
