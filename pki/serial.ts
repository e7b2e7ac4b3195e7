/**
 * Certificate serial numbers: generation and the one canonical string form
 * used everywhere a serial is stored or compared (deny-list, CRL, logs).
 */
import { PkiError } from "./errors.ts";
import { toHex } from "./encoding.ts";

/** Hex digits of a canonical serial: 128 bits. */
export const SERIAL_HEX_LENGTH = 32;

// RFC 5280 §4.1.2.2: conforming serials are at most 20 octets.
const MAX_SERIAL_HEX_DIGITS = 40;

/**
 * Canonical form of a serial number: lowercase hex, leading zeros stripped,
 * then left-padded with zeros to 32 digits (longer serials are padded to an
 * even length only). Accepts what the tools print: node's
 * `getPeerCertificate().serialNumber` ("0A1B…", upper case, byte-padded),
 * @peculiar/x509's `serialNumber` (lowercase, leading zero byte dropped),
 * openssl's `ab:cd:…` and an optional `0x`. Throws
 * `PkiError("serial_malformed")` for anything else.
 *
 * Every serial this CA issues is 128 bits, so its canonical form is exactly
 * 32 characters and compares equal across all those sources.
 *
 * @example
 * ```ts
 * normalizeSerial("0A:1B"); // "00000000000000000000000000000a1b"
 * normalizeSerial(socket.getPeerCertificate().serialNumber) === issued.serial;
 * ```
 */
export function normalizeSerial(s: string): string {
  let hex = s.trim().replace(/^0x/i, "");
  if (/^[0-9a-f]{2}(:[0-9a-f]{2})+$/i.test(hex)) hex = hex.replace(/:/g, "");
  if (!/^[0-9a-f]+$/i.test(hex)) {
    throw new PkiError("serial_malformed", "serial must be a hex string");
  }
  const digits = hex.toLowerCase().replace(/^0+/, "");
  if (digits.length > MAX_SERIAL_HEX_DIGITS) {
    throw new PkiError("serial_malformed", "serial is longer than 20 octets");
  }
  const width = Math.max(SERIAL_HEX_LENGTH, digits.length + (digits.length % 2));
  return digits.padStart(width, "0");
}

/**
 * A fresh random serial: 128 bits from the CSPRNG with the top bit cleared
 * (so the DER INTEGER is positive without a sign byte) and never zero.
 * Returned in canonical form.
 *
 * @example
 * ```ts
 * randomSerial(); // "5f0c…" (32 hex digits, first digit 0-7)
 * ```
 */
export function randomSerial(): string {
  const bytes = new Uint8Array(SERIAL_HEX_LENGTH / 2);
  do {
    crypto.getRandomValues(bytes);
    bytes[0] &= 0x7f;
  } while (bytes.every((b) => b === 0));
  return toHex(bytes);
}
