/**
 * ICE restart of a live session with Chromium as the viewer: Chromium
 * restarts ICE (new ufrag/pwd), the publisher restarts its agent on the
 * same peer and answers an sdpfrag, Chromium applies it the way WHEP players
 * do (the new credentials and candidates into the remote description), and
 * video goes on over the new ICE generation without a new session.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { type SelectedPair, ViewerPeer } from "./viewer_peer.ts";
import { applyAnswer, camera, framesDecoded, makeOffer, waitFor } from "./_testing.ts";
import { CHROMIUM, launchChromium } from "../../tests/helpers/browser.ts";
import { ignoreWithout } from "../../tests/helpers/tools.ts";
import { ANY_ADDRESS } from "./candidate_policy.ts";

type G = { pc: RTCPeerConnection };

/** Chromium's local ICE ufrag in use (transport stats) and its ICE state. */
function iceInUse(page: Page): Promise<{ ufrag: string; state: string }> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as G).pc;
    let ufrag = "";
    let state = "";
    (await pc.getStats()).forEach((s) => {
      const r = s as unknown as Record<string, string>;
      if (r.type === "transport") {
        ufrag = r.iceLocalUsernameFragment;
        state = r.iceState;
      }
    });
    return { ufrag, state };
  });
}

/** In the page: restart ICE, gather, and return the restart sdpfrag (RFC 8840). */
function restartFrag(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = (globalThis as unknown as G).pc;
    pc.restartIce();
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") resolve();
      });
    });
    const sdp = pc.localDescription!.sdp;
    const pick = (re: RegExp) => sdp.match(re)?.[0] ?? "";
    const candidates = sdp.match(/^a=candidate:.*$/gm) ?? [];
    return [
      pick(/^a=ice-ufrag:.*$/m),
      pick(/^a=ice-pwd:.*$/m),
      "m=video 9 UDP/TLS/RTP/SAVPF 0",
      pick(/^a=mid:.*$/m),
      ...candidates,
      "a=end-of-candidates",
      "",
    ].join("\r\n");
  });
}

/** In the page: the new remote credentials and candidates into the current answer. */
function applyRestartAnswer(page: Page, frag: string): Promise<void> {
  return page.evaluate(async (frag) => {
    const pc = (globalThis as unknown as G).pc;
    const ufrag = frag.match(/^a=ice-ufrag:(.*)$/m)![1];
    const pwd = frag.match(/^a=ice-pwd:(.*)$/m)![1];
    const candidates = frag.match(/^a=candidate:.*$/gm) ?? [];
    let sdp = pc.remoteDescription!.sdp
      .replace(/^a=ice-ufrag:.*$/gm, `a=ice-ufrag:${ufrag}`)
      .replace(/^a=ice-pwd:.*$/gm, `a=ice-pwd:${pwd}`)
      .replace(/^a=(candidate:.*|end-of-candidates)\r\n/gm, "");
    sdp = sdp.replace(/(a=mid:[^\r\n]*\r\n)/, `$1${candidates.map((c) => c + "\r\n").join("")}`);
    await pc.setRemoteDescription({ type: "answer", sdp });
  }, frag);
}

Deno.test({
  name: "ViewerPeer restarts ICE with Chromium; video resumes in the same session",
  ignore: ignoreWithout(CHROMIUM),
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  const cam = await camera();
  const browser = await launchChromium();
  const page = await browser.newPage();
  let peer: ViewerPeer | null = null;
  const reports: SelectedPair[] = [];
  try {
    await t.step("a session plays; its connected pair is reported once", async () => {
      const offer = await makeOffer(page, "recvonly");
      peer = await ViewerPeer.answer(offer, {
        hub: cam.hub,
        iceServers: [],
        remoteCandidates: ANY_ADDRESS,
        onConnected: (pair) => reports.push(pair),
      });
      await applyAnswer(page, peer.answerSdp);
      await waitFor(
        "30 decoded frames",
        async () => (await framesDecoded(page)) >= 30,
        10_000,
        page,
      );
      // Chromium's host candidates go unused (not trickled): it shows as peer-reflexive.
      assert.deepEqual(reports, [{ local: "host", remote: "prflx" }]);
    });

    await t.step("restart: new credentials both ways, more frames, same peer", async () => {
      const p = peer!;
      const before = await iceInUse(page);
      const oldAnswerUfrag = p.answerSdp.match(/^a=ice-ufrag:(.*)$/m)![1];
      const frag = await restartFrag(page);
      const chromeUfrag = frag.match(/^a=ice-ufrag:(.*)$/m)![1];
      assert.notEqual(chromeUfrag, before.ufrag, "Chromium made new credentials");

      const answer = await p.restartIce(frag);
      assert.match(answer, /^m=video 9 UDP\/TLS\/RTP\/SAVPF 96\r\na=mid:0\r\n/m);
      const newUfrag = answer.match(/^a=ice-ufrag:(.*)$/m)![1];
      assert.notEqual(newUfrag, oldAnswerUfrag, "the publisher made new credentials");
      assert.match(answer, /^a=ice-pwd:[A-Za-z0-9+/]{22,}$/m);
      assert.match(answer, /^a=candidate:/m);
      assert.match(answer, /a=end-of-candidates\r\n$/);

      await applyRestartAnswer(page, answer);
      await waitFor("Chromium on the new ICE generation", async () => {
        const now = await iceInUse(page);
        return now.ufrag === chromeUfrag && now.state === "connected";
      });
      const framesAtRestart = await framesDecoded(page);
      await waitFor(
        "30 more frames after the restart",
        async () => (await framesDecoded(page)) >= framesAtRestart + 30,
      );
      assert.equal(p.isClosed, false, "the session survived the restart");
      await waitFor("the restarted pair reported", () => Promise.resolve(reports.length === 2));
      assert.ok(["host", "prflx"].includes(reports[1].remote), JSON.stringify(reports));
    });

    await t.step("a fragment without credentials is refused; the session goes on", async () => {
      const p = peer!;
      await assert.rejects(
        () => p.restartIce("a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n"),
        /needs a=ice-ufrag and a=ice-pwd/,
      );
      const frames = await framesDecoded(page);
      await waitFor("frames still coming", async () => (await framesDecoded(page)) > frames + 10);
    });
  } finally {
    await (peer as ViewerPeer | null)?.close();
    await browser.close();
    await cam.stop();
  }
});
