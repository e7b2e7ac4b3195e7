/**
 * Names that go into certificates: device ids and their SAN URI, DNS names.
 * Pure validation, no I/O.
 */

/** A device (= camera) id, as in signaling/PROTOCOL.md. */
export const DEVICE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Prefix of the SAN URI that names a device in its certificate. */
export const DEVICE_URI_PREFIX = "urn:vigil:device:";

/**
 * Throws `RangeError` unless `deviceId` matches {@link DEVICE_ID_PATTERN}.
 *
 * @example
 * ```ts
 * assertDeviceId("cam-1"); // ok
 * ```
 */
export function assertDeviceId(deviceId: string): void {
  if (!DEVICE_ID_PATTERN.test(deviceId)) throw new RangeError(`invalid device id: ${deviceId}`);
}

/**
 * The SAN URI that names `deviceId`.
 *
 * @example
 * ```ts
 * deviceUri("cam-1"); // "urn:vigil:device:cam-1"
 * ```
 */
export function deviceUri(deviceId: string): string {
  assertDeviceId(deviceId);
  return DEVICE_URI_PREFIX + deviceId;
}

/**
 * The device id named by a SAN URI, or `null` if the URI is not a
 * well-formed device URI.
 *
 * @example
 * ```ts
 * deviceIdFromUri("urn:vigil:device:cam-1"); // "cam-1"
 * ```
 */
export function deviceIdFromUri(uri: string): string | null {
  if (!uri.startsWith(DEVICE_URI_PREFIX)) return null;
  const id = uri.slice(DEVICE_URI_PREFIX.length);
  return DEVICE_ID_PATTERN.test(id) ? id : null;
}

// One label: letters, digits, hyphens inside, at most 63 characters.
const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(`^(?:\\*\\.)?(?:${DNS_LABEL}\\.)*${DNS_LABEL}$`, "i");

/**
 * Throws `RangeError` unless `name` is an ASCII DNS name (IDNs in punycode),
 * optionally with a leading `*.` wildcard label.
 *
 * @example
 * ```ts
 * assertDnsName("vigil.example.org"); // ok
 * ```
 */
export function assertDnsName(name: string): void {
  if (name.length > 253 || !DNS_NAME.test(name)) throw new RangeError(`invalid DNS name: ${name}`);
}
