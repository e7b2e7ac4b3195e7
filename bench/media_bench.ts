/**
 * Micro-benchmarks of the publisher's media path over the shipped sample clip
 * (publisher/assets/sample-720p30.h264): Annex-B parsing, RTP packetization and the
 * fan-out hub. Each group has a `baseline: true` bench that copies the same bytes, so
 * `deno bench` prints "x times slower than memcpy".
 *
 * `deno bench --allow-read=publisher/assets bench/media_bench.ts`
 * @module
 */
import type { AccessUnit } from "../publisher/media/access_unit.ts";
import { frameTimestamp } from "../publisher/media/access_unit.ts";
import {
  AccessUnitAssembler,
  AnnexBParser,
  assembleAccessUnits,
  splitAnnexB,
} from "../publisher/media/annexb.ts";
import { H264Packetizer } from "../publisher/media/h264_packetizer.ts";
import { FanoutHub } from "../publisher/media/fanout.ts";
import { RtpPayloadCache } from "../publisher/peer/rtp_payload_cache.ts";
import { Buffer } from "node:buffer";

const clip = await Deno.readFile(
  new URL("../publisher/assets/sample-720p30.h264", import.meta.url),
);
const untimed = assembleAccessUnits(splitAnnexB(clip));
const aus: AccessUnit[] = untimed.map((u, i) => ({
  nalus: u.nalus,
  keyframe: u.keyframe,
  timestamp: frameTimestamp(i, 30),
  captureTimeMs: 0,
}));
let auBytes = 0;
for (const au of aus) for (const n of au.nalus) auBytes += n.length;
const sink = new Uint8Array(clip.length);
let blackhole = 0;

/** Baseline: one plain copy of the clip's bytes. */
function memcpyClip() {
  sink.set(clip);
  blackhole ^= sink[clip.length - 1];
}
/** Baseline: copy every NAL unit of every access unit (what a naive per-viewer copy costs). */
function memcpyNalus() {
  let o = 0;
  for (const au of aus) {
    for (const n of au.nalus) {
      sink.set(n, o);
      o += n.length;
    }
  }
  blackhole ^= o;
}

const CHUNK = 64 * 1024; // ffmpeg / pipe reads arrive in chunks like this

Deno.bench({ name: "memcpy clip", group: "annexb", baseline: true, fn: memcpyClip });
Deno.bench({
  name: "AnnexBParser.push (64 KiB chunks) + AccessUnitAssembler",
  group: "annexb",
  fn() {
    const parser = new AnnexBParser();
    const asm = new AccessUnitAssembler();
    let n = 0;
    for (let o = 0; o < clip.length; o += CHUNK) {
      for (const nalu of parser.push(clip.subarray(o, o + CHUNK))) if (asm.push(nalu)) n++;
    }
    for (const nalu of parser.flush()) if (asm.push(nalu)) n++;
    if (asm.flush()) n++;
    blackhole ^= n;
  },
});

Deno.bench({ name: "memcpy NAL units", group: "packetizer", baseline: true, fn: memcpyNalus });
Deno.bench({
  name: `H264Packetizer.packetize, ${aus.length} access units`,
  group: "packetizer",
  fn() {
    const p = new H264Packetizer();
    let n = 0;
    for (const au of aus) n += p.packetize(au).length;
    blackhole ^= n;
  },
});

Deno.bench({ name: "memcpy NAL units", group: "fanout", baseline: true, fn: memcpyNalus });
for (const viewers of [1, 8]) {
  Deno.bench({
    name: `FanoutHub.publish, ${viewers} sync sink(s), no packetizer`,
    group: "fanout",
    fn() {
      const hub = new FanoutHub();
      let n = 0;
      const subs = Array.from({ length: viewers }, () => hub.subscribe(() => void n++));
      for (const au of aus) hub.publish(au);
      for (const s of subs) s.unsubscribe();
      blackhole ^= n;
    },
  });
  Deno.bench({
    name: `FanoutHub.publish → H264Packetizer, ${viewers} viewer(s)`,
    group: "fanout",
    fn() {
      const hub = new FanoutHub();
      let n = 0;
      const subs = Array.from({ length: viewers }, () => {
        const p = new H264Packetizer();
        return hub.subscribe((au) => void (n += p.packetize(au).length));
      });
      for (const au of aus) hub.publish(au);
      for (const s of subs) s.unsubscribe();
      blackhole ^= n;
    },
  });
}

// Before/after of publisher/peer/rtp_payload_cache.ts: what each viewer's sink did per
// access unit before (its own packetizer plus a Buffer per packet, as werift takes it)
// and after (payloads made once per unit, shared by every viewer).
for (const viewers of [1, 4, 16]) {
  Deno.bench({
    name: `${viewers} viewer(s): packetize + Buffer per viewer (before)`,
    group: `viewer payloads, ${viewers} viewer(s)`,
    baseline: true,
    fn() {
      const hub = new FanoutHub();
      let n = 0;
      const subs = Array.from({ length: viewers }, () => {
        const p = new H264Packetizer();
        return hub.subscribe((au) => {
          for (const { payload } of p.packetize(au)) {
            n += Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).length;
          }
        });
      });
      for (const au of aus) hub.publish(au);
      for (const s of subs) s.unsubscribe();
      blackhole ^= n;
    },
  });
  Deno.bench({
    name: `${viewers} viewer(s): shared RtpPayloadCache (after)`,
    group: `viewer payloads, ${viewers} viewer(s)`,
    fn() {
      const hub = new FanoutHub();
      const cache = new RtpPayloadCache();
      let n = 0;
      const subs = Array.from({ length: viewers }, () =>
        hub.subscribe((au) => {
          for (const { payload } of cache.of(au)) n += payload.length;
        }));
      for (const au of aus) hub.publish(au);
      for (const s of subs) s.unsubscribe();
      blackhole ^= n;
    },
  });
}

globalThis.addEventListener("unload", () => {
  if (blackhole === 0.5) console.log(auBytes); // keep results observable
});
