import assert from "node:assert/strict";
import { composeAnswer, OfferError, parseSdp, planOffer } from "./offer_plan.ts";

const SESSION = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"];
const TRANSPORT = [
  "a=ice-ufrag:ufOf",
  "a=ice-pwd:offerpasswordoffer1234",
  "a=fingerprint:sha-256 AB:CD",
  "a=setup:actpass",
];
const join = (lines: string[]) => [...lines, ""].join("\r\n");

/** Chromium's shape for addTransceiver("audio"), addTransceiver("video") with max-bundle. */
const AUDIO_FIRST = join([
  ...SESSION,
  "a=group:BUNDLE 0 1",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
  "c=IN IP4 0.0.0.0",
  ...TRANSPORT,
  "a=mid:0",
  "a=sendrecv",
  "a=msid:- a1",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtpmap:0 PCMU/8000",
  "a=ssrc:1111 cname:x",
  "a=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host",
  "a=end-of-candidates",
  "m=video 0 UDP/TLS/RTP/SAVPF 96",
  "c=IN IP4 0.0.0.0",
  "a=bundle-only",
  "a=mid:1",
  "a=sendrecv",
  "a=msid:- v1",
  "a=rtcp-mux",
  "a=rtpmap:96 H264/90000",
  "a=ssrc:2222 cname:x",
]);

/** What werift answers to a one-section offer. */
const WERIFT_ANSWER = (mid: string) =>
  join([
    "v=0",
    "o=- 9 0 IN IP4 0.0.0.0",
    "s=-",
    "t=0 0",
    `a=group:BUNDLE ${mid}`,
    "a=msid-semantic:WMS *",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "c=IN IP4 0.0.0.0",
    "a=ice-ufrag:pub1",
    "a=ice-pwd:publisherpassword12345",
    "a=fingerprint:sha-256 11:22",
    "a=setup:passive",
    `a=mid:${mid}`,
    "a=sendonly",
    "a=rtcp-mux",
    "a=rtpmap:96 H264/90000",
    "a=candidate:2 1 udp 2130706431 192.0.2.1 40000 typ host",
    "a=end-of-candidates",
  ]);

const sectionsOf = (sdp: string) => sdp.split(/\r\n(?=m=)/).slice(1);

Deno.test("planOffer / composeAnswer", async (t) => {
  await t.step("audio-first max-bundle: werift sees one recvonly video section", () => {
    const plan = planOffer(AUDIO_FIRST);
    assert.equal(plan.video, 1);
    assert.deepEqual(plan.bundle, ["0", "1"]);
    const w = parseSdp(plan.weriftOffer);
    assert.equal(w.media.length, 1);
    assert.equal(w.media[0].kind, "video");
    assert.equal(w.media[0].port, 9, "bundle-only port 0 becomes a real port");
    assert.equal(w.media[0].direction, "recvonly");
    assert.equal(w.media[0].bundleOnly, false);
    assert.deepEqual(w.bundles, [["1"]]);
    // The bundle transport comes from the offerer-tagged (audio) section.
    for (const l of [...TRANSPORT, "a=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host"]) {
      assert.ok(plan.weriftOffer.includes(l + "\r\n"), l);
    }
    // The viewer's own streams never reach werift, nor does "no more candidates".
    assert.doesNotMatch(plan.weriftOffer, /a=ssrc|a=msid:|a=sendrecv|opus|end-of-candidates/);
  });

  await t.step("audio-first: audio answered inactive, bundled, and carrying the transport", () => {
    const plan = planOffer(AUDIO_FIRST);
    const answer = composeAnswer(plan, WERIFT_ANSWER("1"));
    assert.match(answer, /a=group:BUNDLE 0 1\r\n/);
    const [audio, video] = sectionsOf(answer);
    assert.match(audio, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 111\r\n/);
    assert.match(audio, /a=mid:0\r\n/);
    assert.match(audio, /a=inactive\r\n/);
    assert.match(audio, /a=rtpmap:111 opus\/48000\/2\r\n/);
    assert.match(audio, /a=ice-ufrag:pub1\r\n/);
    assert.match(audio, /a=setup:passive\r\n/);
    assert.match(audio, /a=rtcp-mux\r\n/);
    assert.match(audio, /a=candidate:2 1 udp/, "the tagged section has the candidates");
    assert.match(video, /^m=video 9 /);
    assert.match(video, /a=mid:1\r\n/);
    assert.match(video, /a=sendonly\r\n/);
    assert.doesNotMatch(video, /a=candidate/, "candidates only in the tagged section");
  });

  await t.step("data channel first: rejected with port 0, video becomes the tag", () => {
    const sdp = join([
      ...SESSION,
      "a=group:BUNDLE d v",
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
      "c=IN IP4 0.0.0.0",
      ...TRANSPORT,
      "a=mid:d",
      "a=recvonly",
      "a=sctp-port:5000",
      "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "c=IN IP4 0.0.0.0",
      ...TRANSPORT,
      "a=mid:v",
      "a=recvonly",
      "a=rtpmap:96 H264/90000",
    ]);
    const plan = planOffer(sdp);
    assert.doesNotMatch(plan.weriftOffer, /application|sctp/);
    const answer = composeAnswer(plan, WERIFT_ANSWER("v"));
    const [app, video] = sectionsOf(answer);
    assert.equal(
      app,
      "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d",
    );
    assert.match(answer, /a=group:BUNDLE v\r\n/);
    assert.match(video, /a=candidate:2 1 udp/);
  });

  await t.step("sections outside the video's bundle are rejected", () => {
    const sdp = join([
      ...SESSION,
      "a=group:BUNDLE v",
      "m=video 9 UDP/TLS/RTP/SAVPF 96",
      ...TRANSPORT,
      "a=mid:v",
      "a=recvonly",
      "m=audio 9 UDP/TLS/RTP/SAVPF 0",
      ...TRANSPORT,
      "a=mid:a",
      "a=sendrecv",
    ]);
    const answer = composeAnswer(planOffer(sdp), WERIFT_ANSWER("v"));
    assert.match(sectionsOf(answer)[1], /^m=audio 0 UDP\/TLS\/RTP\/SAVPF 0\r\n/);
    assert.match(answer, /a=group:BUNDLE v\r\n/);
  });

  await t.step("an offer without a video section the camera can send to is refused", () => {
    const onlyVideo = (direction: string) =>
      join([...SESSION, "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:0", `a=${direction}`]);
    for (const d of ["sendonly", "inactive"]) {
      assert.throws(() => planOffer(onlyVideo(d)), OfferError);
    }
    assert.throws(() => planOffer(join([...SESSION, "m=audio 9 RTP/AVP 0"])), /no video section/);
    assert.throws(() => planOffer("x=1"), /not SDP/);
    assert.throws(() => planOffer(join([...SESSION, "m=video x"])), /malformed media line/);
  });

  await t.step("composeAnswer insists on werift's one video section", () => {
    const plan = planOffer(AUDIO_FIRST);
    assert.throws(() => composeAnswer(plan, join(SESSION)), /one video section/);
  });
});
