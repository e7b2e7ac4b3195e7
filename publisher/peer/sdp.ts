/**
 * Pure SDP helpers of the viewer peer: keep only ICE candidates whose address
 * is an IP literal (mDNS `.local` names and other host names are dropped, so
 * werift never binds 0.0.0.0:5353 nor resolves names a viewer chose), and
 * parse trickled `application/trickle-ice-sdpfrag` bodies.
 *
 * @module
 */

/** True for an IPv4 or IPv6 literal (no host names, no `.local`). */
export function isIpLiteral(address: string): boolean {
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(address)) return true;
  return address.includes(":") && /^[0-9a-fA-F:.]+$/.test(address);
}

/**
 * The connection address of a candidate attribute (`candidate:…` or
 * `a=candidate:…`), or null when the line is malformed.
 */
export function candidateAddress(line: string): string | null {
  const body = line.trim().replace(/^a=/, "");
  if (!body.startsWith("candidate:")) return null;
  const fields = body.slice("candidate:".length).split(/\s+/);
  // foundation component transport priority address port typ type …
  if (fields.length < 8 || fields[6] !== "typ") return null;
  return fields[4];
}

/** True if a candidate line may be handed to werift (its address is an IP literal). */
export function isUsableCandidate(line: string): boolean {
  const address = candidateAddress(line);
  return address !== null && isIpLiteral(address);
}

/**
 * Removes every `a=candidate` line whose address is not an IP literal (mDNS
 * `.local` candidates first of all), or that `accept` refuses (the viewer
 * peer's candidate_policy.ts), from an SDP; line endings are kept.
 *
 * @example
 * ```ts
 * stripUnusableCandidates("a=candidate:1 1 udp 1 abc.local 5000 typ host\r\n"); // ""
 * ```
 */
export function stripUnusableCandidates(
  sdp: string,
  accept: (line: string) => boolean = isUsableCandidate,
): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/);
  const kept = lines.filter((line) =>
    !line.startsWith("a=candidate:") || (isUsableCandidate(line) && accept(line))
  );
  return kept.join(eol);
}

/** One trickled candidate, ready for `addIceCandidate`. */
export interface TrickleCandidate {
  /** `candidate:…` (without `a=`). */
  candidate: string;
  /** The m-section's mid, when the fragment named one. */
  sdpMid?: string;
  /** The ICE username fragment, when the fragment named one. */
  usernameFragment?: string;
}

/** What {@linkcode parseSdpFrag} found. */
export interface ParsedSdpFrag {
  /** Usable candidates (IP literals only). */
  candidates: TrickleCandidate[];
  /** Candidates dropped (mDNS, host names, malformed). */
  skipped: number;
  /** True if the fragment carried `a=end-of-candidates`. */
  endOfCandidates: boolean;
}

/**
 * Parses a trickle-ICE SDP fragment (RFC 8840): `a=ice-ufrag`, `a=mid`,
 * `a=candidate`, `a=end-of-candidates`. A bare `candidate:…` or
 * `a=candidate:…` line is accepted too.
 */
export function parseSdpFrag(
  frag: string,
  accept: (line: string) => boolean = isUsableCandidate,
): ParsedSdpFrag {
  const out: ParsedSdpFrag = { candidates: [], skipped: 0, endOfCandidates: false };
  let mid: string | undefined;
  let ufrag: string | undefined;
  for (const raw of frag.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("a=ice-ufrag:")) ufrag = line.slice("a=ice-ufrag:".length);
    else if (line.startsWith("a=mid:")) mid = line.slice("a=mid:".length);
    else if (line === "a=end-of-candidates") out.endOfCandidates = true;
    else if (line.startsWith("a=candidate:") || line.startsWith("candidate:")) {
      if (!isUsableCandidate(line) || !accept(line)) {
        out.skipped++;
        continue;
      }
      out.candidates.push({
        candidate: line.replace(/^a=/, ""),
        ...(mid !== undefined ? { sdpMid: mid } : {}),
        ...(ufrag !== undefined ? { usernameFragment: ufrag } : {}),
      });
    }
  }
  return out;
}

/**
 * The DTLS role the answerer takes for `offerSdp` (RFC 8842): the preferred one
 * when the offer leaves the choice (`actpass`, or no attribute), otherwise the
 * opposite of the offer's (`active` → server, `passive` → client).
 *
 * @example
 * ```ts
 * answerDtlsRole("…a=setup:actpass…", "server"); // "server"
 * answerDtlsRole("…a=setup:passive…", "server"); // "client"
 * ```
 */
export function answerDtlsRole(
  offerSdp: string,
  preferred: "server" | "client",
): "server" | "client" {
  const setup = /^a=setup:(\w+)/m.exec(offerSdp)?.[1];
  if (setup === "active") return "server";
  if (setup === "passive") return "client";
  return preferred;
}
