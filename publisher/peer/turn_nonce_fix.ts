/**
 * Makes werift's TURN client survive a stale nonce (werift 0.25.2).
 *
 * A TURN server expires its nonce (coturn `stale-nonce=600`, RFC 8656 §9.2:
 * at least once an hour) and answers the next request with 438 Stale Nonce
 * carrying a new NONCE; the client must retry with it (RFC 8489 §9.2.5).
 * That 438, like every 401, has no MESSAGE-INTEGRITY: the server cannot
 * know which key to use. werift requires MESSAGE-INTEGRITY on any response
 * to an authenticated request, so it drops the 438, the Refresh times out
 * and the allocation dies: with coturn's defaults (allocation 600 s, werift
 * refreshing at 5/6 of it, nonce 600 s) a relayed viewer loses its video
 * after ~18 minutes (tests/nat/turn_test.ts shows it in seconds).
 *
 * The fix, installed once per process before any peer connection exists:
 * - an unauthenticated 401/438 **error** response that carries a NONCE is
 *   handed to the pending transaction anyway (success responses still need
 *   a valid MESSAGE-INTEGRITY, so nothing an attacker forges can complete a
 *   request; a forged 438 only costs one retry);
 * - a request that is sent again after such a challenge first loses its old
 *   MESSAGE-INTEGRITY and FINGERPRINT, which werift would otherwise leave in
 *   place and sign over.
 *
 * @example
 * ```ts
 * installTurnNonceFix(); // once, at publisher start
 * ```
 * @module
 */
import { classes, parseMessage, TurnProtocol } from "werift";

interface StunMessageLike {
  messageClass: number;
  transactionIdHex: string;
  attributes: [string, unknown][];
  getAttributeValue(name: string): unknown;
}
interface TransactionLike {
  integrityKey?: unknown;
  responseReceived(message: unknown, addr: unknown): void;
}
interface TurnLike {
  transactions: Record<string, TransactionLike>;
}

const INSTALLED = Symbol.for("vigil.turnNonceFix");

/** Installs the fix on werift's TurnProtocol (idempotent). Returns false if werift changed shape. */
export function installTurnNonceFix(): boolean {
  const proto = TurnProtocol.prototype as unknown as Record<string | symbol, unknown>;
  if (proto[INSTALLED]) return true;
  const handle = proto.handleSTUNMessage;
  const request = proto.request;
  if (typeof handle !== "function" || typeof request !== "function") return false;

  proto.handleSTUNMessage = function (this: TurnLike, data: Uint8Array, addr: unknown) {
    const m = parseMessage(data as never) as unknown as StunMessageLike | undefined;
    const tx = m && this.transactions[m.transactionIdHex];
    if (m && tx?.integrityKey && isChallenge(m)) {
      const key = tx.integrityKey;
      tx.integrityKey = undefined; // let this one unauthenticated error through
      try {
        tx.responseReceived(m, addr);
      } finally {
        tx.integrityKey = key;
      }
      return;
    }
    return handle.call(this, data, addr);
  };

  proto.request = function (this: unknown, message: StunMessageLike, ...rest: unknown[]) {
    // A retried request must be signed afresh: drop the previous attempt's MI and FINGERPRINT.
    message.attributes = message.attributes.filter(
      ([name]) => name !== "MESSAGE-INTEGRITY" && name !== "FINGERPRINT",
    );
    return request.call(this, message, ...rest);
  };
  proto[INSTALLED] = true;
  return true;
}

/** A 401 or 438 error response carrying a NONCE: a credential challenge (RFC 8489 §9.2). */
function isChallenge(m: StunMessageLike): boolean {
  if (m.messageClass !== classes.ERROR) return false;
  const code = (m.getAttributeValue("ERROR-CODE") as [number, string] | undefined)?.[0];
  return (code === 401 || code === 438) && m.getAttributeValue("NONCE") !== undefined;
}
