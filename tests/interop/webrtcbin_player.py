#!/usr/bin/env python3
"""A WHEP player on GStreamer's webrtcbin (libnice ICE, GStreamer DTLS/SRTP).

Creates a recvonly H.264 offer, waits for ICE gathering, POSTs it to the
WHEP endpoint (draft-ietf-wish-whep section 4.2), applies the answer, and
decodes video with avdec_h264 (libav), counting decoded frames at the
sink. Prints one JSON line with the result, then DELETEs the session.

    WHEP_TOKEN=... webrtcbin_player.py --url https://host/whep/cam --ca ca.pem --frames 30

The token comes from the environment so it never shows in a process list.
"""

import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

H264_CAPS = (
    "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000,"
    "packetization-mode=(string)1,profile-level-id=(string)42e01f"
)


# webrtcbin, libnice ICE, DTLS/SRTP, depayloader, parser, decoder (libav).
ELEMENTS = (
    "webrtcbin", "nicesrc", "dtlssrtpdec", "srtpdec", "rtph264depay", "h264parse", "avdec_h264",
)


def ms_since(t0):
    return round((time.monotonic() - t0) * 1000, 1)


class Player:
    def __init__(self, args, token):
        self.args = args
        self.token = token
        self.ctx = ssl.create_default_context(cafile=args.ca)
        self.loop = GLib.MainLoop()
        self.result = {"stack": "gstreamer-webrtcbin", "gstreamer": Gst.version_string()}
        self.frames = 0
        self.t_start = time.monotonic()
        self.t_post = None
        self.location = None
        self.offered = False
        self.pipe = Gst.Pipeline.new("whep")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "recv")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        if args.latency is not None:
            self.webrtc.set_property("latency", args.latency)
        self.result["latencyMs"] = self.webrtc.get_property("latency")
        self.pipe.add(self.webrtc)
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("pad-added", self.on_pad_added)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering)
        self.webrtc.connect("notify::ice-connection-state", self.on_state, "iceConnectedMs")
        self.webrtc.connect("notify::connection-state", self.on_state, "connectedMs")
        self.webrtc.emit(
            "add-transceiver",
            GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
            Gst.Caps.from_string(H264_CAPS),
        )

    # -- signaling -----------------------------------------------------------

    def on_negotiation_needed(self, _element):
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)

    def on_offer_created(self, promise, _data):
        promise.wait()
        reply = promise.get_reply()  # keep the reply alive while its offer is used
        offer = reply.get_value("offer")
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, element, _pspec):
        state = element.get_property("ice-gathering-state")
        if state == GstWebRTC.WebRTCICEGatheringState.COMPLETE and not self.offered:
            self.offered = True
            sdp = element.get_property("local-description").sdp.as_text()
            self.result["gatheredMs"] = ms_since(self.t_start)
            threading.Thread(target=self.post_offer, args=(sdp,), daemon=True).start()

    def request(self, method, url, body=None, content_type=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as res:
                return res.status, res.headers, res.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode()

    def post_offer(self, sdp):
        self.t_post = time.monotonic()
        status, headers, body = self.request(
            "POST", self.args.url, sdp.encode(), "application/sdp"
        )
        self.result["status"] = status
        self.result["answerMs"] = ms_since(self.t_post)
        if status != 201:
            self.result["error"] = body[:300]
            GLib.idle_add(self.finish)
            return
        self.location = urllib.parse.urljoin(self.args.url, headers.get("Location", ""))
        GLib.idle_add(self.apply_answer, body)

    def apply_answer(self, text):
        ok, msg = GstSdp.SDPMessage.new_from_text(text)
        if ok != GstSdp.SDPResult.OK:
            self.result["error"] = "unparsable answer"
            self.finish()
            return False
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit("set-remote-description", answer, Gst.Promise.new())
        return False

    def on_state(self, element, pspec, key):
        nick = element.get_property(pspec.name).value_nick
        if nick in ("connected", "completed") and key not in self.result and self.t_post:
            self.result[key] = ms_since(self.t_post)

    # -- media ---------------------------------------------------------------

    def on_pad_added(self, _element, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        chain = [
            Gst.ElementFactory.make(name)
            for name in ("rtph264depay", "h264parse", "avdec_h264", "fakesink")
        ]
        for element in chain:
            self.pipe.add(element)
            element.sync_state_with_parent()
        for a, b in zip(chain, chain[1:]):
            a.link(b)
        pad.link(chain[0].get_static_pad("sink"))
        decoded = chain[2].get_static_pad("src")
        decoded.add_probe(Gst.PadProbeType.BUFFER, self.on_frame)

    def on_frame(self, pad, _info):
        self.frames += 1
        if self.frames == 1:
            self.result["firstFrameMs"] = ms_since(self.t_post)
            caps = pad.get_current_caps()
            if caps:
                s = caps.get_structure(0)
                self.result["width"] = s.get_value("width")
                self.result["height"] = s.get_value("height")
                self.result["decoder"] = "avdec_h264"
        if self.frames == self.args.frames:
            GLib.idle_add(self.finish)
        return Gst.PadProbeReturn.OK

    # -- lifecycle -----------------------------------------------------------

    def finish(self):
        if self.loop.is_running():
            self.loop.quit()
        return False

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        GLib.timeout_add(int(self.args.timeout * 1000), self.on_timeout)
        self.loop.run()
        self.result["frames"] = self.frames
        self.result["totalMs"] = ms_since(self.t_start)
        if self.location:
            status, _h, _b = self.request("DELETE", self.location)
            self.result["deleteStatus"] = status
        self.pipe.set_state(Gst.State.NULL)
        return self.result

    def on_timeout(self):
        self.result["timedOut"] = True
        self.finish()
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check GStreamer's elements")
    parser.add_argument("--url", help="WHEP endpoint URL")
    parser.add_argument("--ca", help="PEM file of the CA to trust")
    parser.add_argument("--frames", type=int, default=30, help="decoded frames to wait for")
    parser.add_argument("--timeout", type=float, default=15, help="seconds before giving up")
    parser.add_argument(
        "--latency",
        type=int,
        help="webrtcbin's jitterbuffer latency in ms (default webrtcbin's own, 200)",
    )
    args = parser.parse_args()
    Gst.init(None)
    missing = [name for name in ELEMENTS if Gst.ElementFactory.find(name) is None]
    if missing:
        sys.exit(f"missing GStreamer elements: {', '.join(missing)}")
    if args.check:
        return
    token = os.environ.get("WHEP_TOKEN")
    if not token or not args.url or not args.ca:
        sys.exit("--url, --ca and WHEP_TOKEN are required")
    print(json.dumps(Player(args, token).run()))


if __name__ == "__main__":
    main()
