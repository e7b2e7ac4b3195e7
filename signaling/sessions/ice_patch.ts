/**
 * What a WHEP PATCH asks for, and whether its precondition holds (pure).
 *
 * A PATCH body is an `application/trickle-ice-sdpfrag` (RFC 8840). It is an
 * ICE restart when it carries an `a=ice-ufrag`/`a=ice-pwd` other than the
 * viewer's current ones (draft-ietf-wish-whep-03 section 4.4.3: such a
 * request MUST be treated as a restart), otherwise trickle ICE (4.4.2).
 * Entity-tags identify the ICE session (4.4.1, as WHIP RFC 9725 section
 * 4.3.1): a new strong one after each restart.
 *
 * Preconditions (RFC 9110 section 13.1.1, RFC 6585 section 3):
 * - `If-Match: "*"` holds for any live session: it is how a player asks for
 *   a restart (4.3.3), and a trickle sent with it is accepted too;
 * - `If-Match: <tags>` holds when one of them is the current ETag (strong
 *   comparison), otherwise 412 — for trickle and restart alike;
 * - no `If-Match`: 428 for a restart. A trickle without one is accepted
 *   while it cannot be misapplied: its ufrag is the current one, or no
 *   restart happened yet (one ICE session only). Players that never read the
 *   ETag (whip-whep 1.2.0 sends none until its first restart) still trickle;
 *   after a restart a tag-less, ufrag-less trickle could belong to the old
 *   ICE session and gets 428.
 *
 * @example
 * ```ts
 * const state = { etag: '"e1"', credentials: { ufrag: "old1", pwd: "p".repeat(22) }, restarts: 0 };
 * planPatch("a=ice-ufrag:new1\r\na=ice-pwd:0123456789abcdef012345\r\n", parseIfMatch("*")!, state);
 * // { kind: "restart", credentials: { ufrag: "new1", pwd: "0123456789abcdef012345" }, frag: "…" }
 * ```
 * @module
 */

/** The `If-Match` header, parsed. */
export type IfMatch =
  | { kind: "absent" }
  | { kind: "any" }
  /** Entity-tags as sent, quotes included (`W/` ones never match: strong comparison). */
  | { kind: "tags"; tags: string[] };

/** An ICE session's credentials (RFC 8839 section 5.4). */
export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** The session as far as a PATCH is concerned. */
export interface IceSessionState {
  /** The current ICE session's entity-tag, quotes included. */
  etag: string;
  /** The viewer's current credentials (from its offer, then from each restart); null if unknown. */
  credentials: IceCredentials | null;
  /** ICE restarts done so far. */
  restarts: number;
}

/** What to do with the PATCH. */
export type PatchPlan =
  /** Relay these lines (candidates, end-of-candidates, credentials) to the publisher; 204. */
  | { kind: "trickle"; lines: string[] }
  /** Ask the publisher for an ICE restart with the viewer's `frag`; 200 with its answer. */
  | { kind: "restart"; credentials: IceCredentials; frag: string };

/** Why the PATCH is refused. */
export interface PatchRefusal {
  status: 400 | 412 | 422 | 428;
  code: string;
  message: string;
}

/** Longest line relayed to the publisher (a candidate line is well under this). */
export const MAX_FRAG_LINE = 512;

/** One entity-tag (RFC 9110 section 8.8.3): optional `W/`, then a quoted opaque string. */
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;
/** ICE ufrag/pwd characters (RFC 8839 section 5.4: ice-char). */
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;
/** Lines relayed for trickle ICE. */
const TRICKLE_LINE = /^a=(candidate:|end-of-candidates$|ice-ufrag:|ice-pwd:)/;

/**
 * Parses `If-Match` (RFC 9110 section 13.1.1: `"*"` or a list of
 * entity-tags). Returns null when it is neither.
 */
export function parseIfMatch(header: string | null | undefined): IfMatch | null {
  if (header === undefined || header === null) return { kind: "absent" };
  const value = header.trim();
  if (value === "*") return { kind: "any" };
  const tags = value.split(",").map((t) => t.trim()).filter((t) => t !== "");
  if (tags.length === 0 || tags.length > 16 || !tags.every((t) => ENTITY_TAG.test(t))) return null;
  return { kind: "tags", tags };
}

/** A new strong entity-tag for an ICE session: 128 random bits, quoted. */
export function newEntityTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const b64 = btoa(String.fromCharCode(...bytes));
  return `"${b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}"`;
}

/** The viewer's ICE credentials in an offer (the first `a=ice-ufrag`/`a=ice-pwd`), or null. */
export function offerCredentials(sdp: string): IceCredentials | null {
  const ufrag = /^a=ice-ufrag:(\S+)\s*$/m.exec(sdp)?.[1];
  const pwd = /^a=ice-pwd:(\S+)\s*$/m.exec(sdp)?.[1];
  return ufrag && pwd ? { ufrag, pwd } : null;
}

/**
 * Decides what a PATCH with body `frag` and precondition `ifMatch` does to
 * a session in state `s`: a plan, or a refusal with its status.
 */
export function planPatch(
  frag: string,
  ifMatch: IfMatch,
  s: IceSessionState,
): PatchPlan | PatchRefusal {
  // The precondition first (RFC 9110 section 13.2.1: before the content is processed).
  if (ifMatch.kind === "tags" && !ifMatch.tags.includes(s.etag)) {
    return refuse(
      412,
      "precondition_failed",
      "If-Match names another ICE session: send the ETag of the latest answer or ICE restart",
    );
  }
  const parsed = parseFrag(frag);
  if ("status" in parsed) return parsed;
  const { ufrag, pwd, lines } = parsed;
  const current = s.credentials;
  const changed = current !== null && ufrag !== undefined &&
    (ufrag !== current.ufrag || (pwd !== undefined && pwd !== current.pwd));
  if (changed && pwd === undefined) {
    return refuse(400, "bad_sdpfrag", "an ICE restart needs both a=ice-ufrag and a=ice-pwd");
  }
  if (changed) {
    const credentials = { ufrag: ufrag!, pwd: pwd! };
    const bad = badCredentials(credentials);
    if (bad) return refuse(400, "bad_sdpfrag", bad);
    if (ifMatch.kind === "absent") {
      return refuse(
        428,
        "precondition_required",
        'an ICE restart (new a=ice-ufrag/a=ice-pwd) needs If-Match: "*"',
      );
    }
    return { kind: "restart", credentials, frag };
  }
  if (ifMatch.kind === "absent" && ufrag === undefined && s.restarts > 0) {
    return refuse(
      428,
      "precondition_required",
      "after an ICE restart a trickle PATCH needs If-Match with the ETag of the restart",
    );
  }
  return { kind: "trickle", lines: lines.filter((l) => TRICKLE_LINE.test(l)) };
}

function refuse(status: PatchRefusal["status"], code: string, message: string): PatchRefusal {
  return { status, code, message };
}

/** Checks the fragment's syntax; its ICE credentials (if any) and its lines. */
function parseFrag(
  frag: string,
): { ufrag?: string; pwd?: string; lines: string[] } | PatchRefusal {
  const lines = frag.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l !== "");
  let ufrag: string | undefined;
  let pwd: string | undefined;
  for (const line of lines) {
    if (line.length > MAX_FRAG_LINE) {
      return refuse(400, "bad_sdpfrag", `a line is longer than ${MAX_FRAG_LINE} characters`);
    }
    if (!/^[a-z]=/.test(line)) {
      return refuse(400, "bad_sdpfrag", "not an SDP fragment: every line is <letter>=<value>");
    }
    if (/^[vos]=/.test(line)) {
      // A whole session description: WHEP has no renegotiation (-03 section 3).
      return refuse(
        422,
        "unsupported_patch",
        "a PATCH carries ICE only (application/trickle-ice-sdpfrag); SDP renegotiation is not supported",
      );
    }
    const u = /^a=ice-ufrag:(.*)$/.exec(line);
    const p = /^a=ice-pwd:(.*)$/.exec(line);
    if (u) {
      if (ufrag !== undefined && ufrag !== u[1]) {
        return refuse(400, "bad_sdpfrag", "one a=ice-ufrag per fragment");
      }
      ufrag = u[1];
    } else if (p) {
      if (pwd !== undefined && pwd !== p[1]) {
        return refuse(400, "bad_sdpfrag", "one a=ice-pwd per fragment");
      }
      pwd = p[1];
    }
  }
  if (pwd !== undefined && ufrag === undefined) {
    return refuse(400, "bad_sdpfrag", "a=ice-pwd without a=ice-ufrag");
  }
  return { ufrag, pwd, lines };
}

/** Why new credentials are unusable (RFC 8839 section 5.4: ufrag 4-256, pwd 22-256 ice-chars). */
function badCredentials({ ufrag, pwd }: IceCredentials): string | null {
  if (!ICE_CHARS.test(ufrag) || ufrag.length < 4 || ufrag.length > 256) {
    return "a=ice-ufrag must be 4-256 ice-chars";
  }
  if (!ICE_CHARS.test(pwd) || pwd.length < 22 || pwd.length > 256) {
    return "a=ice-pwd must be 22-256 ice-chars";
  }
  return null;
}
