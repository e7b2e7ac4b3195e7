/**
 * ICE restart of a live viewer session, the SDP side (pure). WHEP's ICE
 * restart (draft-ietf-wish-whep-03 section 4.4.3, as WHIP RFC 9725 section 4.3.3):
 * the player PATCHes an `application/trickle-ice-sdpfrag` (RFC 8840) with a
 * new ufrag/pwd (and candidates); the answer is a sdpfrag with the
 * publisher's new ufrag/pwd and candidates. DTLS and SRTP stay as they are.
 *
 * @module
 */
import { attributeName, type OfferPlan, parseSdp } from "./offer_plan.ts";
import { isUsableCandidate } from "./sdp.ts";

/** A restart request the publisher cannot use; the message says why. */
export class RestartError extends Error {
  override name = "RestartError";
}

/** What a restart sdpfrag asks for. */
export interface RestartRequest {
  ufrag: string;
  pwd: string;
  /** `a=candidate:…` lines with IP literal addresses (others dropped). */
  candidates: string[];
  /** The fragment said `a=end-of-candidates` (not passed on to werift: see offer_plan.ts). */
  endOfCandidates: boolean;
}

/** ICE ufrag/pwd characters and lengths (RFC 8839 section 5.4: ice-char, 4–256 / 22–256). */
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;

/**
 * Reads a restart sdpfrag. Throws {@linkcode RestartError} without a valid
 * `a=ice-ufrag` and `a=ice-pwd`.
 *
 * @example
 * ```ts
 * parseRestartFrag("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n");
 * // { ufrag: "abcd", pwd: "0123456789abcdef012345", candidates: [], endOfCandidates: false }
 * ```
 */
export function parseRestartFrag(
  frag: string,
  accept: (line: string) => boolean = isUsableCandidate,
): RestartRequest {
  let ufrag: string | undefined;
  let pwd: string | undefined;
  const candidates: string[] = [];
  let endOfCandidates = false;
  for (const raw of frag.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("a=ice-ufrag:")) ufrag = line.slice("a=ice-ufrag:".length);
    else if (line.startsWith("a=ice-pwd:")) pwd = line.slice("a=ice-pwd:".length);
    else if (line === "a=end-of-candidates") endOfCandidates = true;
    else if (line.startsWith("a=candidate:") && isUsableCandidate(line) && accept(line)) {
      candidates.push(line);
    }
  }
  if (ufrag === undefined || pwd === undefined) {
    throw new RestartError("an ICE restart needs a=ice-ufrag and a=ice-pwd");
  }
  if (!ICE_CHARS.test(ufrag) || ufrag.length < 4 || ufrag.length > 256) {
    throw new RestartError("a=ice-ufrag must be 4-256 ice-chars");
  }
  if (!ICE_CHARS.test(pwd) || pwd.length < 22 || pwd.length > 256) {
    throw new RestartError("a=ice-pwd must be 22-256 ice-chars");
  }
  return { ufrag, pwd, candidates, endOfCandidates };
}

/**
 * The new remote offer for werift: `weriftOffer` with the restart's
 * credentials and usable candidates instead of the old ones.
 */
export function restartOffer(weriftOffer: string, r: RestartRequest): string {
  const out: string[] = [];
  for (const line of weriftOffer.split("\r\n")) {
    const name = attributeName(line);
    if (name === "candidate" || name === "end-of-candidates") continue;
    if (name === "ice-ufrag") out.push(`a=ice-ufrag:${r.ufrag}`);
    else if (name === "ice-pwd") out.push(`a=ice-pwd:${r.pwd}`);
    else out.push(line);
  }
  while (out.at(-1) === "") out.pop();
  out.push(...r.candidates); // never a=end-of-candidates for werift (offer_plan.ts)
  return out.join("\r\n") + "\r\n";
}

/**
 * The answer sdpfrag: the publisher's new ufrag/pwd and candidates, in the
 * answerer-tagged section (the one that carries the bundle transport), laid
 * out like RFC 9725 section 4.3.3's example.
 */
export function restartAnswerFrag(plan: OfferPlan, weriftAnswer: string): string {
  const video = parseSdp(weriftAnswer).media[0];
  if (!video) throw new RestartError("werift gave no answer section");
  const pick = (names: string[]) =>
    video.lines.filter((l) => names.includes(attributeName(l) ?? ""));
  const tag = plan.offer.media[plan.answerTag];
  const lines = [
    ...(plan.answerGroup.length > 0 ? [`a=group:BUNDLE ${plan.answerGroup.join(" ")}`] : []),
    `m=${tag.kind} 9 ${tag.proto} ${tag.formats[0] ?? "0"}`,
    ...(tag.mid !== undefined ? [`a=mid:${tag.mid}`] : []),
    ...pick(["ice-ufrag"]),
    ...pick(["ice-pwd"]),
    ...pick(["candidate"]),
    "a=end-of-candidates", // non-trickle: the publisher gathered everything before answering
  ];
  return lines.join("\r\n") + "\r\n";
}
