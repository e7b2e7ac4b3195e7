/**
 * RTP payloads of an access unit, made once and shared by every viewer.
 *
 * Every viewer gets the same H.264 payloads; only the RTP header (sequence
 * number, timestamp, SSRC) and the SRTP keys differ. Packetizing per viewer
 * repeated the FU-A/STAP-A copies and a Buffer wrapper per packet for each
 * viewer. The cache is keyed by the unit's `nalus` array, which the fan-out hub
 * hands unchanged to all subscribers (live and replayed, whatever their
 * timestamp offset), so entries die with the unit (WeakMap) and nothing is
 * evicted by hand. {@linkcode RtpPayloadCache.fragmentsOf} describes the same
 * payloads as views into the NAL units, without the copies. werift only reads payloads (`RtpPacket.clone` shares them;
 * SRTP writes a new buffer), so sharing is safe.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { AccessUnit } from "../media/access_unit.ts";
import {
  DEFAULT_MAX_PAYLOAD_SIZE,
  fragmentNalus,
  packetizeNalus,
  type RtpFragment,
} from "../media/h264_packetizer.ts";

/** One RTP payload as werift takes it. */
export interface SharedRtpPayload {
  readonly payload: Buffer;
  readonly marker: boolean;
}

/**
 * Packetizes access units (RFC 6184, packetization-mode 1) at most once each.
 *
 * @example
 * ```ts
 * const payloads = new RtpPayloadCache();
 * for (const { payload, marker } of payloads.of(au)) send(payload, marker);
 * ```
 */
export class RtpPayloadCache {
  readonly #byNalus = new WeakMap<readonly Uint8Array[], readonly SharedRtpPayload[]>();
  readonly #fragments = new WeakMap<readonly Uint8Array[], readonly RtpFragment[]>();
  readonly #maxPayloadSize: number;
  #packetized = 0;

  /** `maxPayloadSize`: largest RTP payload in bytes (default 1200). */
  constructor(maxPayloadSize = DEFAULT_MAX_PAYLOAD_SIZE) {
    this.#maxPayloadSize = maxPayloadSize;
  }

  /**
   * The payloads of `au` as {@linkcode RtpFragment}s: views into its NAL units
   * (no copy of the picture), for senders that write straight into their own
   * packet buffers (publisher/peer/direct_rtp_sender.ts). Made once per unit.
   */
  fragmentsOf(au: Pick<AccessUnit, "nalus">): readonly RtpFragment[] {
    let fragments = this.#fragments.get(au.nalus);
    if (!fragments) {
      fragments = fragmentNalus(au.nalus, this.#maxPayloadSize);
      this.#fragments.set(au.nalus, fragments);
      this.#packetized++;
    }
    return fragments;
  }

  /** How many access units were actually packetized (the rest were cache hits). */
  get packetized(): number {
    return this.#packetized;
  }

  /**
   * The payloads of `au`, last one with the marker bit. SPS/PPS must already be
   * in front of keyframes (the fan-out hub does that).
   */
  of(au: Pick<AccessUnit, "nalus">): readonly SharedRtpPayload[] {
    let payloads = this.#byNalus.get(au.nalus);
    if (!payloads) {
      payloads = packetizeNalus(au.nalus, this.#maxPayloadSize).map(({ payload, marker }) => ({
        payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        marker,
      }));
      this.#byNalus.set(au.nalus, payloads);
      this.#packetized++;
    }
    return payloads;
  }
}
