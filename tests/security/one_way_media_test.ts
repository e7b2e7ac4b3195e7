/**
 * Issue 13.3: media is one way. Offers that try to open a way into the
 * publisher (a data channel, also marked recvonly; audio or video it would
 * receive) are refused by the server before anything reaches the bus, or
 * answered so that nothing can flow towards the publisher: the real server
 * and the real publisher process, offers made by werift (a real stack).
 */
import assert from "node:assert/strict";
import { RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import { startLiveCamera } from "../helpers/live_camera.ts";

const H264 = new RTCRtpCodecParameters({
  mimeType: "video/H264",
  clockRate: 90_000,
  parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
});
const OPUS = new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 });

/** A werift offer: `build` adds transceivers / data channels. */
async function weriftOffer(build: (pc: RTCPeerConnection) => void): Promise<string> {
  const pc = new RTCPeerConnection({
    iceServers: [],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceAdditionalHostAddresses: ["127.0.0.1"],
    codecs: { video: [H264], audio: [OPUS] },
  });
  build(pc);
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

/** Directions of the answer's live sections, e.g. ["audio:inactive", "video:sendonly"]. */
function liveSections(answer: string): string[] {
  return answer.split(/\r\n(?=m=)/).slice(1).flatMap((s) => {
    const [kind, port] = s.slice(2).split(" ");
    if (port === "0") return [];
    const dir = /^a=(sendrecv|sendonly|recvonly|inactive)$/m.exec(s)?.[1] ?? "sendrecv";
    return [`${kind}:${dir}`];
  });
}

Deno.test({
  name: "13.3: a viewer cannot open a data channel or send media into the publisher",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const cam = await startLiveCamera({
    camera: "oneway-cam",
    publisherLog: "tests/artifacts/one-way-publisher.log",
  });
  const audit = () => cam.server.ctx.audit.recent.filter((e) => e.event === "session.start").length;
  const post = async (sdp: string) => {
    const res = await fetch(cam.whepUrl, {
      method: "POST",
      client: cam.server.client,
      headers: { authorization: `Bearer ${await cam.token()}`, "content-type": "application/sdp" },
      body: sdp,
    });
    const body = await res.text();
    const location = res.headers.get("location");
    if (location) {
      const del = await fetch(new URL(location, cam.whepUrl), {
        method: "DELETE",
        client: cam.server.client,
        headers: { authorization: `Bearer ${await cam.token()}` },
      });
      await del.body?.cancel();
    }
    return { status: res.status, body };
  };
  try {
    await t.step(
      "recvonly video + m=application marked recvonly → 400, nothing relayed",
      async () => {
        const offer = (await weriftOffer((pc) => {
          pc.addTransceiver("video", { direction: "recvonly" });
          pc.createDataChannel("into-the-pi");
        })).replace(/(m=application[^]*?a=mid:[^\r\n]+\r\n)/, "$1a=recvonly\r\n");
        assert.match(offer, /m=application [1-9]/);
        const before = audit();
        const r = await post(offer);
        assert.equal(r.status, 400);
        assert.match(JSON.parse(r.body).message, /data channel/);
        assert.equal(audit(), before, "no session started");
      },
    );

    await t.step("a data channel offered first (the bundle's tag) → 400", async () => {
      const offer = await weriftOffer((pc) => {
        pc.addTransceiver("video", { direction: "recvonly" });
        pc.createDataChannel("first");
      });
      // werift puts m=application last: move it first, tag of the bundle.
      const [session, ...sections] = offer.split(/\r\n(?=m=)/);
      const app = sections.find((x) => x.startsWith("m=application"))!;
      const mids = [app, ...sections.filter((x) => x !== app)].map((x) =>
        /a=mid:([^\r\n]+)/.exec(x)![1]
      );
      const appFirst = [
        session.replace(/a=group:BUNDLE [^\r\n]+/, `a=group:BUNDLE ${mids.join(" ")}`),
        app.replace(/\r\n$/, ""),
        ...sections.filter((x) => x !== app),
      ].join("\r\n");
      assert.ok(appFirst.indexOf("m=application") < appFirst.indexOf("m=video"));
      const r = await post(appFirst + "\r\n");
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.body).message, /data channel/);
    });

    await t.step("sendrecv audio and video: answered so that nothing flows in", async () => {
      const offer = await weriftOffer((pc) => {
        pc.addTransceiver("audio", { direction: "sendrecv" });
        pc.addTransceiver("video", { direction: "sendrecv" });
      });
      const r = await post(offer);
      assert.equal(r.status, 201, r.body);
      assert.deepEqual(liveSections(r.body), ["audio:inactive", "video:sendonly"]);
    });

    await t.step("sendonly video (the viewer would send the camera video) → 400", async () => {
      const offer = await weriftOffer((pc) =>
        pc.addTransceiver("video", { direction: "sendonly" })
      );
      const r = await post(offer);
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.body).message, /no video section to receive/);
    });
  } finally {
    await cam.stop();
  }
});
