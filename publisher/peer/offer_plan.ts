/**
 * What the publisher answers to a WHEP offer, decided before werift sees it
 * (pure; issues 13.3, 14.2, 14.3).
 *
 * werift only ever gets a one-section offer: the video section the camera
 * sends to, marked recvonly, with the offer's bundle transport (ICE
 * credentials, fingerprint, setup, candidates) and without the viewer's own
 * streams (ssrc, msid, rid, simulcast). So werift never creates an SCTP
 * association, an audio transceiver or a receiver, whatever the offer holds.
 * Nor does it get `a=end-of-candidates`: werift 0.25.2 then gives up as soon
 * as the candidates it knows are checked (`Connection.schedulingChecks`), at
 * once when there are none, while a viewer whose host candidates were mDNS
 * names (dropped, see sdp.ts) reaches the publisher as peer-reflexive only.
 * The answer to the whole offer is then composed around werift's video
 * answer, section by section, in the offer's order (RFC 3264 section 6):
 *
 * - the chosen video section (recvonly or sendrecv, the draft's SHOULD is
 *   recvonly: draft-ietf-wish-whep section 4.2): werift's sendonly answer;
 * - other audio/video sections bundled with it: `a=inactive`, still in the
 *   BUNDLE group, so the offerer-tagged section that carries the bundle
 *   transport is never rejected (RFC 8843 section 7.3.1; Chromium fails
 *   "Failed to setup RTCP mux" when it is);
 * - everything else (m=application, unbundled sections, unknown kinds):
 *   port 0, outside the BUNDLE group (rejected: RFC 8843 section 7.3.3).
 *
 * @module
 */

/** SDP direction attribute values. */
export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

/** One m-section of an offer. */
export interface MediaSection {
  /** `audio`, `video`, `application`, … */
  kind: string;
  port: number;
  /** Transport protocol (e.g. `UDP/TLS/RTP/SAVPF`). */
  proto: string;
  /** Formats (payload types, or `webrtc-datachannel`). */
  formats: string[];
  mid?: string;
  /** `sendrecv` when the section names none (RFC 4566 section 6). */
  direction: Direction;
  /** `a=bundle-only` (RFC 8843 section 6): port 0 yet part of the bundle. */
  bundleOnly: boolean;
  /** The lines after the m= line. */
  lines: string[];
}

/** An offer split into its session part and media sections. */
export interface ParsedSdp {
  session: string[];
  media: MediaSection[];
  /** `a=group:BUNDLE` groups, mids in order. */
  bundles: string[][];
}

/** What the publisher will do with an offer. */
export interface OfferPlan {
  /** The parsed offer. */
  offer: ParsedSdp;
  /** Index of the video section the camera sends to. */
  video: number;
  /** The bundle group of that section (its mids in the offer's order), or [] if unbundled. */
  bundle: string[];
  /** Per offer section: answered (the video, or audio/video answered inactive). */
  accepted: boolean[];
  /** The answer's BUNDLE group (accepted mids of `bundle`). */
  answerGroup: string[];
  /** Index of the answerer-tagged section (RFC 8843 section 7.3.1): the first of `answerGroup`. */
  answerTag: number;
  /** The only offer werift sees (one recvonly video section). */
  weriftOffer: string;
}

/** An offer the publisher cannot answer; the message says why. */
export class OfferError extends Error {
  override name = "OfferError";
}

const DIRECTIONS = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);
/** Transport attributes a bundled section takes from the offerer-tagged one (RFC 8859 TRANSPORT). */
const TRANSPORT = ["ice-ufrag", "ice-pwd", "ice-options", "fingerprint", "setup"];
const CANDIDATES = ["candidate", "end-of-candidates"];
/** The viewer's own streams: the publisher receives nothing, so werift must not see them. */
const VIEWER_STREAMS = ["ssrc", "ssrc-group", "msid", "rid", "simulcast"];
/** Attributes werift never sees (see the module doc); directions are replaced by recvonly. */
const HIDDEN_FROM_WERIFT = new Set([...VIEWER_STREAMS, "bundle-only", "end-of-candidates"]);

/** The attribute name of an `a=` line (`a=ice-ufrag:x` → `ice-ufrag`), or null. */
export function attributeName(line: string): string | null {
  const m = /^a=([^:\s]+)/.exec(line);
  return m ? m[1] : null;
}

/** Splits an SDP into session lines and media sections. Throws {@linkcode OfferError}. */
export function parseSdp(sdp: string): ParsedSdp {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== "v=0") throw new OfferError("the offer is not SDP (must start with v=0)");
  const session: string[] = [];
  const media: MediaSection[] = [];
  for (const line of lines) {
    if (line.startsWith("m=")) {
      const [kind, port, proto, ...formats] = line.slice(2).split(" ");
      const portNumber = Number(port?.split("/")[0]);
      if (
        !kind || !proto || !Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535
      ) {
        throw new OfferError(`malformed media line "${line.slice(0, 80)}"`);
      }
      media.push({
        kind,
        port: portNumber,
        proto,
        formats,
        direction: "sendrecv",
        bundleOnly: false,
        lines: [],
      });
      continue;
    }
    const section = media.at(-1);
    if (!section) {
      session.push(line);
      continue;
    }
    section.lines.push(line);
    const name = attributeName(line);
    if (name === "mid") section.mid = line.slice("a=mid:".length);
    else if (name === "bundle-only") section.bundleOnly = true;
    else if (name && DIRECTIONS.has(name) && line === `a=${name}`) {
      section.direction = name as Direction;
    }
  }
  const bundles = session
    .filter((l) => l.startsWith("a=group:BUNDLE"))
    .map((l) => l.slice("a=group:BUNDLE".length).trim().split(/\s+/).filter((m) => m !== ""));
  return { session, media, bundles };
}

/** True if a section is in use: a real port, or bundle-only inside a bundle. */
function isActive(s: MediaSection): boolean {
  return s.port !== 0 || s.bundleOnly;
}

/**
 * Decides how to answer `sdp`. Throws {@linkcode OfferError} when there is no
 * video section the camera can send to.
 *
 * @example
 * ```ts
 * const plan = planOffer(offerSdp);
 * await pc.setRemoteDescription({ type: "offer", sdp: plan.weriftOffer });
 * // … werift answers the one video section …
 * const answer = composeAnswer(plan, pc.localDescription!.sdp);
 * ```
 */
export function planOffer(sdp: string): OfferPlan {
  const offer = parseSdp(sdp);
  const video = offer.media.findIndex((s) =>
    s.kind === "video" && isActive(s) && (s.direction === "recvonly" || s.direction === "sendrecv")
  );
  if (video < 0) {
    throw new OfferError(
      "the offer has no video section to receive the camera (recvonly or sendrecv)",
    );
  }
  const section = offer.media[video];
  const bundle = (section.mid !== undefined &&
    offer.bundles.find((g) => g.includes(section.mid!))) || [];
  // The offerer-tagged section (first mid of the group) carries the bundle transport.
  const tag = offer.media.find((s) => s.mid !== undefined && s.mid === bundle[0]);
  const has = (lines: string[], names: string[]) =>
    lines.some((l) => names.includes(attributeName(l) ?? ""));
  const borrowed: string[] = [];
  if (tag && tag !== section) {
    if (!has(section.lines, ["ice-ufrag"])) {
      borrowed.push(...tag.lines.filter((l) => TRANSPORT.includes(attributeName(l) ?? "")));
    }
    if (!has(section.lines, ["candidate"])) {
      borrowed.push(...tag.lines.filter((l) => attributeName(l) === "candidate"));
    }
  }
  const kept = section.lines.filter((l) => {
    const name = attributeName(l) ?? "";
    return !DIRECTIONS.has(name) && !HIDDEN_FROM_WERIFT.has(name);
  });
  const session = offer.session.filter((l) => !l.startsWith("a=group:"));
  if (section.mid !== undefined) session.push(`a=group:BUNDLE ${section.mid}`);
  const weriftOffer = [
    ...session,
    `m=video ${section.port === 0 ? 9 : section.port} ${section.proto} ${
      section.formats.join(" ")
    }`,
    ...kept,
    ...borrowed,
    "a=recvonly",
    "",
  ].join("\r\n");
  const inBundle = (s: MediaSection) =>
    s.mid !== undefined && bundle.includes(s.mid) && isActive(s);
  const accepted = offer.media.map((s, i) =>
    i === video || (inBundle(s) && (s.kind === "audio" || s.kind === "video"))
  );
  const answerGroup = offer.media.filter((s, i) => accepted[i] && inBundle(s)).map((s) => s.mid!);
  const answerTag = answerGroup.length > 0
    ? offer.media.findIndex((s) => s.mid === answerGroup[0])
    : video;
  return { offer, video, bundle, accepted, answerGroup, answerTag, weriftOffer };
}

/**
 * The answer to the whole offer, built around werift's answer to
 * {@linkcode OfferPlan.weriftOffer} (see the module doc for the rules).
 */
export function composeAnswer(plan: OfferPlan, weriftAnswer: string): string {
  const answer = parseSdp(weriftAnswer);
  const ours = answer.media[0];
  if (!ours || answer.media.length !== 1 || ours.kind !== "video") {
    throw new OfferError("werift did not answer with one video section");
  }
  const offered = plan.offer.media;
  const { accepted, answerGroup: group, answerTag: tagIndex } = plan;
  const transport = ours.lines.filter((l) =>
    TRANSPORT.includes(attributeName(l) ?? "") || attributeName(l) === "rtcp-mux"
  );
  const candidates = ours.lines.filter((l) => CANDIDATES.includes(attributeName(l) ?? ""));
  const connection = ours.lines.find((l) => l.startsWith("c=")) ?? "c=IN IP4 0.0.0.0";
  const out = answer.session.filter((l) => !l.startsWith("a=group:"));
  if (group.length > 0) out.push(`a=group:BUNDLE ${group.join(" ")}`);
  offered.forEach((s, i) => {
    const mid = s.mid !== undefined ? [`a=mid:${s.mid}`] : [];
    if (i === plan.video) {
      out.push(`m=${ours.kind} ${ours.port} ${ours.proto} ${ours.formats.join(" ")}`);
      out.push(
        ...ours.lines.filter((l) => i === tagIndex || !CANDIDATES.includes(attributeName(l) ?? "")),
      );
    } else if (accepted[i]) {
      const format = s.formats[0];
      out.push(`m=${s.kind} ${ours.port} ${s.proto} ${format}`, connection, ...mid);
      out.push(...s.lines.filter((l) => l.startsWith(`a=rtpmap:${format} `)));
      out.push("a=inactive", ...transport);
      if (i === tagIndex) out.push(...candidates);
    } else {
      out.push(`m=${s.kind} 0 ${s.proto} ${s.formats[0] ?? "0"}`, "c=IN IP4 0.0.0.0", ...mid);
    }
  });
  return out.join("\r\n") + "\r\n";
}
