/**
 * The identity a device proves on the mTLS connection: its certificate's
 * serial, device id (from the SAN URI) and RFC 8705 thumbprint. Parsed once
 * per TLS socket and checked against the revocation list on every request.
 * @module
 */
import type { TLSSocket } from "node:tls";
import { certInfo, normalizeSerial } from "../../pki/mod.ts";

/** A verified device identity. */
export interface DeviceIdentity {
  deviceId: string;
  serial: string;
  x5tS256: string;
  notAfter: Date;
}

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const cache = new WeakMap<TLSSocket, DeviceIdentity | string>();

/** Returns the identity, or a reason it is refused (safe to log). */
export function identify(socket: TLSSocket): DeviceIdentity | string {
  const hit = cache.get(socket);
  if (hit) return hit;
  const result = compute(socket);
  cache.set(socket, result);
  return result;
}

function compute(socket: TLSSocket): DeviceIdentity | string {
  if (!socket.authorized) {
    return `certificate not authorized (${socket.authorizationError ?? "none presented"})`;
  }
  const peer = socket.getPeerCertificate();
  if (!peer || !peer.raw) return "no client certificate";
  const info = certInfo(new Uint8Array(peer.raw));
  if (info.isCa) return "a CA certificate is not a device certificate";
  if (!info.extendedKeyUsages.includes(CLIENT_AUTH)) {
    return "certificate lacks the clientAuth usage";
  }
  if (!info.deviceId) return "certificate names no device";
  const now = Date.now();
  if (info.notAfter.getTime() < now || info.notBefore.getTime() > now) {
    return "certificate expired or not yet valid";
  }
  return {
    deviceId: info.deviceId,
    serial: normalizeSerial(info.serial),
    x5tS256: info.x5tS256,
    notAfter: info.notAfter,
  };
}
