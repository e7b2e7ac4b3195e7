/**
 * A device's enrollment state in words, as `device:list` and the console
 * show it. Pure.
 * @module
 */
import type { DeviceRecord } from "../store/store.ts";

/** What a device's records say about it at `now`. */
export type DeviceState =
  | "revoked"
  | "enrolled"
  | "awaiting enrollment"
  | "certificate expired"
  | "token expired";

/** The state of a device at `now` (ms). */
export function deviceState(d: DeviceRecord, now: number): DeviceState {
  if (d.revokedAt !== null) return "revoked";
  if (d.certNotAfter && d.certNotAfter > now) return "enrolled";
  if (d.pendingTokenExpiresAt && d.pendingTokenExpiresAt > now) return "awaiting enrollment";
  return d.certNotAfter ? "certificate expired" : "token expired";
}
