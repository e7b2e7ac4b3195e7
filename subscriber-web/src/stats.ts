/**
 * Pure functions turning successive RTCPeerConnection.getStats() reports into
 * the numbers the viewer shows. No DOM access: a report is anything that can
 * be iterated as [id, stat] pairs (an RTCStatsReport is a Map-like).
 */

/** The counters we keep from one getStats() call. */
export interface StatsSnapshot {
  /** ms, from the inbound-rtp stat's timestamp. */
  timestamp: number;
  /** inbound-rtp id; a change means a new stream (counters restarted). */
  streamId: string;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
  framesDropped?: number;
  frameWidth?: number;
  frameHeight?: number;
  framesPerSecond?: number;
  /** seconds, as reported by WebRTC */
  jitter?: number;
  /** seconds, from the selected ICE candidate pair */
  roundTripTime?: number;
}

export interface ViewerStats {
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrateKbps: number | null;
  /** cumulative since the session started */
  packetsLost: number | null;
  /** loss over the last interval, percent */
  lossPct: number | null;
  rttMs: number | null;
  jitterMs: number | null;
  framesDecoded: number | null;
  ttffMs: number | null;
}

export const EMPTY_STATS: Readonly<ViewerStats> = Object.freeze({
  width: null,
  height: null,
  fps: null,
  bitrateKbps: null,
  packetsLost: null,
  lossPct: null,
  rttMs: null,
  jitterMs: null,
  framesDecoded: null,
  ttffMs: null,
});

type StatRecord = Record<string, unknown> & { id?: unknown; type?: unknown };
export type StatsReportLike = Iterable<[string, unknown]> | Iterable<unknown>;

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function records(report: StatsReportLike): StatRecord[] {
  const out: StatRecord[] = [];
  for (const entry of report as Iterable<unknown>) {
    // Map-like iteration yields [key, value]; plain arrays of stats also work.
    const value = Array.isArray(entry) && entry.length === 2 ? entry[1] : entry;
    if (value && typeof value === "object") out.push(value as StatRecord);
  }
  return out;
}

/**
 * Extracts the video receive counters from a stats report, or undefined if
 * there is no inbound video stream yet.
 */
export function snapshotFromReport(report: StatsReportLike): StatsSnapshot | undefined {
  const stats = records(report);
  const byId = new Map<string, StatRecord>();
  for (const s of stats) if (typeof s.id === "string") byId.set(s.id, s);

  // The inbound video stream with the most bytes (normally the only one).
  let inbound: StatRecord | undefined;
  for (const s of stats) {
    if (s.type !== "inbound-rtp") continue;
    if ((s.kind ?? s.mediaType) !== "video") continue;
    if (!inbound || (num(s.bytesReceived) ?? 0) > (num(inbound.bytesReceived) ?? 0)) inbound = s;
  }
  if (!inbound) return undefined;

  return {
    timestamp: num(inbound.timestamp) ?? 0,
    streamId: String(inbound.id ?? inbound.ssrc ?? ""),
    bytesReceived: num(inbound.bytesReceived) ?? 0,
    packetsReceived: num(inbound.packetsReceived) ?? 0,
    packetsLost: num(inbound.packetsLost) ?? 0,
    framesDecoded: num(inbound.framesDecoded) ?? 0,
    framesDropped: num(inbound.framesDropped),
    frameWidth: num(inbound.frameWidth),
    frameHeight: num(inbound.frameHeight),
    framesPerSecond: num(inbound.framesPerSecond),
    jitter: num(inbound.jitter),
    roundTripTime: selectedPairRtt(stats, byId),
  };
}

/** RTT of the ICE candidate pair in use, in seconds. */
function selectedPairRtt(stats: StatRecord[], byId: Map<string, StatRecord>): number | undefined {
  // Preferred: the transport names its selected pair.
  for (const s of stats) {
    if (s.type !== "transport" || typeof s.selectedCandidatePairId !== "string") continue;
    const pair = byId.get(s.selectedCandidatePairId);
    const rtt = num(pair?.currentRoundTripTime);
    if (rtt !== undefined) return rtt;
  }
  // Fallback (older/other browsers): a nominated, succeeded pair.
  for (const s of stats) {
    if (s.type !== "candidate-pair") continue;
    if (s.state !== "succeeded" || (s.nominated !== true && s.selected !== true)) continue;
    const rtt = num(s.currentRoundTripTime);
    if (rtt !== undefined) return rtt;
  }
  // Last resort: RTCP-derived RTT of the remote sender.
  for (const s of stats) {
    if (s.type !== "remote-outbound-rtp") continue;
    const rtt = num(s.roundTripTime);
    if (rtt !== undefined) return rtt;
  }
  return undefined;
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Computes the displayed numbers from the current snapshot and the previous
 * one (rates are deltas over the interval between them). A previous snapshot
 * from another stream, from the future, or with counters that went backwards
 * is ignored (a new session restarted the counters).
 */
export function computeStats(
  prev: StatsSnapshot | undefined,
  cur: StatsSnapshot | undefined,
  ttffMs: number | null = null,
): ViewerStats {
  if (!cur) return { ...EMPTY_STATS, ttffMs };
  const usablePrev = prev && prev.streamId === cur.streamId &&
      cur.timestamp > prev.timestamp &&
      cur.bytesReceived >= prev.bytesReceived &&
      cur.framesDecoded >= prev.framesDecoded &&
      cur.packetsReceived >= prev.packetsReceived
    ? prev
    : undefined;

  let bitrateKbps: number | null = null;
  let fps: number | null = cur.framesPerSecond !== undefined ? round(cur.framesPerSecond, 1) : null;
  let lossPct: number | null = null;

  if (usablePrev) {
    const dtMs = cur.timestamp - usablePrev.timestamp;
    // bits per millisecond == kilobits per second
    bitrateKbps = round(((cur.bytesReceived - usablePrev.bytesReceived) * 8) / dtMs);
    fps = round(((cur.framesDecoded - usablePrev.framesDecoded) * 1000) / dtMs, 1);
    lossPct = intervalLossPct(
      cur.packetsLost - usablePrev.packetsLost,
      cur.packetsReceived - usablePrev.packetsReceived,
    );
  }

  return {
    width: cur.frameWidth ?? null,
    height: cur.frameHeight ?? null,
    fps,
    bitrateKbps,
    packetsLost: cur.packetsLost,
    lossPct,
    rttMs: cur.roundTripTime !== undefined ? round(cur.roundTripTime * 1000, 1) : null,
    jitterMs: cur.jitter !== undefined ? round(cur.jitter * 1000, 1) : null,
    framesDecoded: cur.framesDecoded,
    ttffMs: ttffMs === null ? null : Math.round(ttffMs),
  };
}

/**
 * Loss over an interval in percent. `lost` can be negative (duplicates or
 * late packets make the cumulative count go down): that counts as no loss.
 */
export function intervalLossPct(lost: number, received: number): number | null {
  const l = Math.max(0, lost);
  const total = l + Math.max(0, received);
  if (total === 0) return null;
  return round((l / total) * 100, 2);
}

/** Short human-readable value for the overlay. */
export function formatStat(key: keyof ViewerStats, v: number | null): string {
  if (v === null) return "–";
  switch (key) {
    case "bitrateKbps":
      return v >= 1000 ? `${(v / 1000).toFixed(2)} Mbps` : `${v} kbps`;
    case "lossPct":
      return `${v.toFixed(v < 10 ? 2 : 1)} %`;
    case "rttMs":
    case "jitterMs":
    case "ttffMs":
      return `${v} ms`;
    default:
      return String(v);
  }
}
