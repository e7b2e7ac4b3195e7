/**
 * ViewerPeer against offers as real stacks make them: Chromium with a
 * recvonly, a sendrecv and an audio-first max-bundle offer (it must accept
 * the answer and decode frames), and Chromium and werift offers with a data
 * channel (no SCTP association may ever open).
 */
import assert from "node:assert/strict";
import { RTCPeerConnection } from "werift";
import { h264Codec, ViewerPeer } from "./viewer_peer.ts";
import { applyAnswer, camera, framesDecoded, makeOffer, waitFor } from "./_testing.ts";
import { CHROMIUM, launchChromium } from "../../tests/helpers/browser.ts";
import { ignoreWithout } from "../../tests/helpers/tools.ts";
import { ANY_ADDRESS } from "./candidate_policy.ts";

const sections = (sdp: string) => sdp.split(/\r\n(?=m=)/).slice(1);

Deno.test({
  name: "ViewerPeer answers Chromium's offers: recvonly, sendrecv, audio-first, data channel",
  ignore: ignoreWithout(CHROMIUM),
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const cam = await camera();
  const browser = await launchChromium();
  const page = await browser.newPage();
  const peers: ViewerPeer[] = [];
  const answer = async (offer: string) => {
    const peer = await ViewerPeer.answer(offer, {
      hub: cam.hub,
      iceServers: [],
      remoteCandidates: ANY_ADDRESS,
    });
    peers.push(peer);
    return peer;
  };
  try {
    for (const shape of ["recvonly", "sendrecv", "audio-first"] as const) {
      await t.step(`${shape}: Chromium accepts the answer and decodes video`, async () => {
        await page.goto("about:blank");
        const offer = await makeOffer(page, shape);
        const peer = await answer(offer);
        const answered = sections(peer.answerSdp);
        assert.equal(
          answered.length,
          sections(offer).length,
          "one answer section per offer section",
        );
        const video = answered.find((s) => s.startsWith("m=video"))!;
        assert.match(video, /a=sendonly/);
        if (shape === "audio-first") {
          const audio = answered[0];
          assert.match(audio, /^m=audio [1-9]\d* /, "the bundle's tagged section is not rejected");
          assert.match(audio, /a=inactive/);
          assert.match(peer.answerSdp, /a=group:BUNDLE 0 1/);
        }
        await applyAnswer(page, peer.answerSdp);
        await waitFor(
          "30 decoded frames",
          async () => (await framesDecoded(page)) >= 30,
          10_000,
          page,
        );
        if (shape === "audio-first") {
          const audioIn = await page.evaluate(async () => {
            const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
            let bytes = 0;
            (await pc.getStats()).forEach((s) => {
              const r = s as unknown as Record<string, unknown>;
              if (r.type === "outbound-rtp" && r.kind === "audio") {
                bytes += Number(r.bytesSent ?? 0);
              }
            });
            return bytes;
          });
          assert.equal(audioIn, 0, "Chromium sends no audio to the publisher");
        }
        await peer.close();
        await page.evaluate(() => (globalThis as unknown as { pc: RTCPeerConnection }).pc.close());
      });
    }

    await t.step("a data channel never opens (recvonly video + m=application)", async () => {
      await page.goto("about:blank");
      const offer = await makeOffer(page, "datachannel");
      assert.match(offer, /m=application/);
      // The review's variant: the application section marked recvonly.
      const munged = offer.replace(/(m=application[^]*?a=mid:[^\r\n]+\r\n)/, "$1a=recvonly\r\n");
      const peer = await answer(munged);
      assert.match(peer.answerSdp, /m=application 0 /);
      assert.doesNotMatch(peer.answerSdp, /a=sctp-port/);
      await applyAnswer(page, peer.answerSdp);
      await waitFor(
        "30 decoded frames",
        async () => (await framesDecoded(page)) >= 30,
        10_000,
        page,
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(
        await page.evaluate(() => (globalThis as { dcOpened?: boolean }).dcOpened),
        false,
      );
      await peer.close();
    });
  } finally {
    for (const p of peers) await p.close();
    await browser.close();
    await cam.stop();
  }
});

/**
 * The answer as a hostile viewer would pretend it was: the rejected
 * application section accepted and bundled (the transport attributes of the
 * video section, an SCTP port).
 */
function pretendDataChannelAccepted(answer: string, offer: string): string {
  const appMid = /m=application[^]*?a=mid:([^\r\n]+)/.exec(offer)![1];
  const video = sections(answer).find((s) => s.startsWith("m=video"))!;
  const transport = video.split("\r\n").filter((l) =>
    /^a=(ice-ufrag|ice-pwd|fingerprint|setup|candidate|end-of-candidates):?/.test(l)
  );
  return answer
    .replace(/a=group:BUNDLE ([^\r\n]+)/, `a=group:BUNDLE $1 ${appMid}`)
    .replace(
      /m=application 0 ([^\r\n]+)\r\nc=[^\r\n]+\r\na=mid:([^\r\n]+)\r\n/,
      (_m, proto, mid) =>
        [`m=application 9 ${proto}`, "c=IN IP4 0.0.0.0", `a=mid:${mid}`, ...transport]
          .join("\r\n") + "\r\na=sctp-port:5000\r\na=max-message-size:65536\r\n",
    );
}

Deno.test({
  name: "ViewerPeer has no SCTP for a werift viewer that offers a data channel and forces it",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const cam = await camera();
  const client = new RTCPeerConnection({
    iceServers: [],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceAdditionalHostAddresses: ["127.0.0.1"],
    codecs: { video: [h264Codec()] },
  });
  client.addTransceiver("video", { direction: "recvonly" });
  const dc = client.createDataChannel("probe");
  let opened = false;
  dc.stateChanged.subscribe((s) => {
    if (s === "open") opened = true;
  });
  let frames = 0;
  client.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      if (rtp.header.marker) frames++;
    })
  );
  await client.setLocalDescription(await client.createOffer());
  await new Promise<void>((r) => {
    if (client.iceGatheringState === "complete") return r();
    client.iceGatheringStateChange.subscribe((s) => s === "complete" && r());
  });
  const offer = client.localDescription!.sdp.replace(
    /(m=application[^]*?a=mid:[^\r\n]+\r\n)/,
    "$1a=recvonly\r\n",
  );
  const peer = await ViewerPeer.answer(offer, {
    hub: cam.hub,
    iceServers: [],
    remoteCandidates: ANY_ADDRESS,
    interfaceAddresses: { udp4: "127.0.0.1" },
    additionalHostAddresses: ["127.0.0.1"],
  });
  try {
    assert.match(peer.answerSdp, /m=application 0 /);
    // werift as a player cannot take a rejected m=application ("sctpRemotePort not exist");
    // a hostile one would not anyway: it acts as if it were accepted and starts SCTP.
    const forced = pretendDataChannelAccepted(peer.answerSdp, offer);
    assert.match(forced, /m=application 9 /);
    await client.setRemoteDescription({ type: "answer", sdp: forced });
    await waitFor("30 frames", () => Promise.resolve(frames >= 30));
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(opened, false, "the data channel opened");
  } finally {
    await peer.close();
    await client.close();
    await cam.stop();
  }
});
