#!/usr/bin/env python3
"""A WHEP player on aiortc (Python: aioice ICE, pyOpenSSL DTLS, PyAV decoding).

Creates a recvonly video offer (aiortc gathers before the offer is complete),
POSTs it to the WHEP endpoint (draft-ietf-wish-whep section 4.2), applies the
answer, and decodes frames from the track (each `recv()` is a decoded
picture). Prints one JSON line with the result, then DELETEs the session.

    WHEP_TOKEN=... aiortc_player.py --url https://host/whep/cam --ca ca.pem --frames 30

The token comes from the environment so it never shows in a process list.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import aiortc
from aiortc import RTCPeerConnection, RTCSessionDescription


def ms_since(t0):
    return round((time.monotonic() - t0) * 1000, 1)


def request(ctx, token, method, url, body=None, content_type=None):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as res:
            return res.status, res.headers, res.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


async def play(args, token):
    ctx = ssl.create_default_context(cafile=args.ca)
    result = {"stack": "aiortc", "aiortc": aiortc.__version__}
    t_start = time.monotonic()
    pc = RTCPeerConnection()  # no ICE servers: aiortc's default is none
    pc.addTransceiver("video", direction="recvonly")
    first_frame = asyncio.get_running_loop().create_future()
    enough = asyncio.Event()
    frames = 0
    t_post = None

    @pc.on("connectionstatechange")
    def on_state():
        if pc.connectionState == "connected" and t_post is not None:
            result.setdefault("connectedMs", ms_since(t_post))

    @pc.on("track")
    def on_track(track):
        async def consume():
            nonlocal frames
            while True:
                try:
                    frame = await track.recv()  # decoded (PyAV)
                except Exception:
                    return
                frames += 1
                if frames == 1:
                    result["firstFrameMs"] = ms_since(t_post)
                    result["width"], result["height"] = frame.width, frame.height
                    first_frame.set_result(True)
                if frames >= args.frames:
                    enough.set()

        asyncio.ensure_future(consume())

    await pc.setLocalDescription(await pc.createOffer())
    result["gatheredMs"] = ms_since(t_start)
    t_post = time.monotonic()
    status, headers, body = await asyncio.to_thread(
        request, ctx, token, "POST", args.url, pc.localDescription.sdp.encode(), "application/sdp"
    )
    result["status"] = status
    result["answerMs"] = ms_since(t_post)
    location = None
    if status == 201:
        location = urllib.parse.urljoin(args.url, headers.get("Location", ""))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        try:
            await asyncio.wait_for(enough.wait(), args.timeout)
        except asyncio.TimeoutError:
            result["timedOut"] = True
    else:
        result["error"] = body[:300]
    result["frames"] = frames
    result["totalMs"] = ms_since(t_start)
    if location:
        status, _h, _b = await asyncio.to_thread(request, ctx, token, "DELETE", location)
        result["deleteStatus"] = status
    await pc.close()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that aiortc loads")
    parser.add_argument("--url", help="WHEP endpoint URL")
    parser.add_argument("--ca", help="PEM file of the CA to trust")
    parser.add_argument("--frames", type=int, default=30, help="decoded frames to wait for")
    parser.add_argument("--timeout", type=float, default=15, help="seconds before giving up")
    args = parser.parse_args()
    if args.check:
        return
    token = os.environ.get("WHEP_TOKEN")
    if not token or not args.url or not args.ca:
        sys.exit("--url, --ca and WHEP_TOKEN are required")
    print(json.dumps(asyncio.run(play(args, token))))


if __name__ == "__main__":
    main()
