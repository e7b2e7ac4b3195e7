/**
 * The server's check of a WHEP offer before it is relayed to a publisher
 * (pure; the publisher parses the offer fully and answers only video).
 *
 * Accepted: SDP with a video section the camera can send to, `recvonly` or
 * `sendrecv` (draft-ietf-wish-whep section 4.2 says players SHOULD offer
 * recvonly, so sendrecv is allowed and answered sendonly), live (a port, or
 * `a=bundle-only` as max-bundle offers have it, RFC 8843 section 6). Audio
 * sections in any direction pass: the publisher answers them `a=inactive`.
 *
 * Refused: anything that would let a viewer send into the publisher beyond
 * RTCP: a live `m=application` section (a data channel: media is one way and
 * the publisher needs no inbound data, issue 13.3), unknown media kinds,
 * oversized lines, too many sections.
 * @module
 */

/** Most media sections in an offer (video, audio, and a few to spare). */
export const MAX_MEDIA_SECTIONS = 4;
/** Longest SDP line. */
export const MAX_LINE_LENGTH = 4096;

interface Section {
  kind: string;
  live: boolean;
  direction: string;
}

/** Returns a reason the offer is unacceptable, or null. */
export function checkOffer(sdp: string): string | null {
  if (!sdp.startsWith("v=0")) return "the offer is not SDP (must start with v=0)";
  const lines = sdp.split(/\r?\n/);
  if (lines.some((l) => l.length > MAX_LINE_LENGTH)) return "an SDP line is too long";
  const sections: Section[] = [];
  let bundleOnly = false;
  let port = "";
  const close = () => {
    const s = sections.at(-1);
    if (s) s.live = port !== "0" || bundleOnly;
  };
  for (const l of lines) {
    if (l.startsWith("m=")) {
      close();
      const fields = l.slice(2).split(" ");
      sections.push({ kind: fields[0], live: true, direction: "sendrecv" });
      port = (fields[1] ?? "").split("/")[0];
      bundleOnly = false;
      if (sections.length > MAX_MEDIA_SECTIONS) return "the offer has too many media sections";
    } else if (sections.length > 0 && /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l)) {
      sections.at(-1)!.direction = l.slice(2);
    } else if (l === "a=bundle-only") bundleOnly = true;
  }
  close();
  if (sections.length === 0) return "the offer has no media section";
  for (const s of sections) {
    if (!s.live || s.kind === "video" || s.kind === "audio") continue;
    if (s.kind === "application") {
      return "the camera only sends video: a data channel (m=application) is not accepted";
    }
    return `unsupported media section "${s.kind.slice(0, 32)}"`;
  }
  const video = sections.some((s) =>
    s.kind === "video" && s.live && (s.direction === "recvonly" || s.direction === "sendrecv")
  );
  return video
    ? null
    : "the offer has no video section to receive the camera (recvonly or sendrecv)";
}
