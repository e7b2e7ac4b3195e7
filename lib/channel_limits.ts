/**
 * Limits of the device channel that both sides enforce, in one place: the
 * server validates its settings and the publisher's `hello` against them, the
 * publisher its own settings and the server's `welcome` (signaling/PROTOCOL.md).
 *
 * @example
 * ```ts
 * z.number().int().min(MAX_VIEWERS.min).max(MAX_VIEWERS.max);
 * ```
 * @module
 */

/** Heartbeat interval (ms) a server may ask for in `welcome`. */
export const HEARTBEAT_MS = { min: 500, max: 60_000 } as const;

/** Concurrent viewers a publisher may serve, announced in `hello.maxViewers`. */
export const MAX_VIEWERS = { min: 1, max: 64 } as const;
