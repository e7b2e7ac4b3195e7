/**
 * Minimal checks of a WHEP offer before it is relayed: an SDP that receives
 * video only. Pure; the publisher parses it fully.
 * @module
 */

/** Returns a reason the offer is unacceptable, or null. */
export function checkOffer(sdp: string): string | null {
  if (!sdp.startsWith("v=0")) return "the offer is not SDP (must start with v=0)";
  const lines = sdp.split(/\r?\n/);
  if (lines.some((l) => l.length > 4096)) return "an SDP line is too long";
  const media = lines.filter((l) => l.startsWith("m="));
  if (media.length === 0) return "the offer has no media section";
  if (media.length > 4) return "the offer has too many media sections";
  let sawVideo = false;
  let section: string | null = null;
  let direction: string | null = null;
  const finish = () => {
    if (section === "video") {
      if (direction !== "recvonly" && direction !== "inactive") {
        throw "the video section must be recvonly";
      }
      sawVideo = true;
    } else if (section !== null && direction !== "inactive" && direction !== "recvonly") {
      throw `only video is sent; the ${section} section must be recvonly or inactive`;
    }
  };
  try {
    for (const l of lines) {
      if (l.startsWith("m=")) {
        finish();
        section = l.slice(2).split(" ")[0];
        direction = null;
      } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l)) {
        direction = l.slice(2);
      }
    }
    finish();
  } catch (reason) {
    return reason as string;
  }
  return sawVideo ? null : "the offer has no video section";
}
