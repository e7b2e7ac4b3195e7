/**
 * `deno task bench:srtp` — the per-packet cost of SRTP protection and of the
 * UDP write, the two halves of the publisher's per-viewer hot path:
 *
 * - "srtp": werift's SrtpSession.encrypt (a node:crypto GCM cipher object per
 *   packet, as werift's own send path does) vs {@linkcode SrtpGcmProtector}
 *   one packet at a time and one access unit (8 packets) per call; a plain
 *   copy of the same bytes as the floor of any implementation;
 * - "ghash": the table GHASH over 1,200 bytes alone;
 * - "udp send": `dgram.send` (werift's path) vs the socket's UDP handle
 *   (publisher/peer/udp_handle_writer.ts), to a socket of this process on loopback.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createSocket } from "node:dgram";
import { RtpHeader, SrtpSession } from "werift";
import { SrtpGcmProtector, type SrtpPacketSlot } from "../publisher/srtp/srtp_gcm.ts";
import { gcmSessionKeys } from "../publisher/srtp/srtp_kdf.ts";
import { Ghash } from "../publisher/srtp/ghash.ts";
import { udpHandleOf } from "../publisher/peer/udp_handle_writer.ts";

const PAYLOAD = 1188;
const masterKey = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
const masterSalt = Buffer.from(crypto.getRandomValues(new Uint8Array(12)));
const payload = Buffer.from(crypto.getRandomValues(new Uint8Array(PAYLOAD)));
const ssrc = 0x11223344;
const werift = new SrtpSession({
  keys: {
    localMasterKey: masterKey,
    localMasterSalt: masterSalt,
    remoteMasterKey: masterKey,
    remoteMasterSalt: masterSalt,
  },
  profile: 7, // SRTP_AEAD_AES_128_GCM
});
const keys = gcmSessionKeys(masterKey, masterSalt);
const mine = new SrtpGcmProtector(keys.key, keys.salt, ssrc);
let seq = 0;

function slot(): SrtpPacketSlot {
  const bytes = new Uint8Array(12 + PAYLOAD + 16);
  bytes[0] = 0x80;
  bytes[1] = 96;
  new DataView(bytes.buffer).setUint32(8, ssrc);
  bytes.set(payload, 12);
  return { bytes, headerLength: 12, payloadLength: PAYLOAD, roc: 0 };
}
const one = [slot()];
const eight = Array.from({ length: 8 }, slot);

function setSeq(s: SrtpPacketSlot) {
  seq = (seq + 1) & 0xffff;
  s.bytes[2] = seq >> 8;
  s.bytes[3] = seq & 0xff;
  s.bytes.set(payload, 12); // fresh plaintext, as the sender copies it in
}

Deno.bench("werift SrtpSession.encrypt (cipher object per packet)", { group: "srtp" }, () => {
  seq = (seq + 1) & 0xffff;
  const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: 1, ssrc });
  werift.encrypt(payload, header);
});
Deno.bench("SrtpGcmProtector, one packet per call", { group: "srtp", baseline: true }, () => {
  setSeq(one[0]);
  mine.protect(one, 1);
});
Deno.bench("SrtpGcmProtector, 8 packets per call (÷8 for one)", { group: "srtp" }, () => {
  for (const s of eight) setSeq(s);
  mine.protect(eight, 8);
});
Deno.bench("copy of the packet only (floor)", { group: "srtp" }, () => {
  one[0].bytes.set(payload, 12);
});

const ghash = new Ghash(crypto.getRandomValues(new Uint8Array(16)));
const data = crypto.getRandomValues(new Uint8Array(1200));
Deno.bench("Ghash over 1,200 bytes", { group: "ghash" }, () => {
  ghash.reset();
  ghash.absorb(data, 0, 1200);
});

const rx = createSocket("udp4");
const tx = createSocket("udp4");
await new Promise<void>((r) => rx.bind({ port: 0, address: "127.0.0.1" }, () => r()));
await new Promise<void>((r) => tx.bind({ port: 0, address: "127.0.0.1" }, () => r()));
rx.on("message", () => {});
const port = rx.address().port;
const handle = udpHandleOf(tx)!;
const packet = new Uint8Array(1216);
// Each iteration waits for its send to complete, so the deferred work counts too.
Deno.bench("dgram socket.send (werift's path)", { group: "udp send" }, async () => {
  await new Promise<void>((r) => tx.send(packet, port, "127.0.0.1", () => r()));
});
Deno.bench(
  "the socket's UDP handle (direct path)",
  { group: "udp send", baseline: true },
  async () => {
    await new Promise<void>((r) =>
      handle.send({ oncomplete: () => r() }, [packet], 1, port, "127.0.0.1", true)
    );
  },
);
