#!/bin/sh
# Regenerates publisher/assets/sample-720p30.h264: 4 s of 1280x720 at 30 fps,
# H.264 Constrained Baseline (level 3.1), one IDR every 30 frames (SPS/PPS
# repeated before each IDR), ~1.5 Mbps, Annex-B, with a burnt-in frame counter
# and stream clock. Needs ffmpeg with libx264; drawtext is used when a font exists.
set -eu
out="$(dirname "$0")/sample-720p30.h264"
font=""
for f in /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf \
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf \
  /usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf; do
  if [ -f "$f" ]; then font="$f"; break; fi
done
src="testsrc2=size=1280x720:rate=30"
if [ -n "$font" ]; then
  src="$src,drawtext=fontfile=$font:text='vigil sample  frame %{eif\:n\:d\:4}  t=%{pts\:hms}':x=40:y=60:fontsize=44:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=10"
fi
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$src" -t 4 \
  -c:v libx264 -preset medium -profile:v baseline -level:v 3.1 -pix_fmt yuv420p \
  -g 30 -keyint_min 30 -sc_threshold 0 -b:v 1500k -maxrate 1800k -bufsize 1500k \
  -x264-params repeat-headers=1 -f h264 "$out"
ls -l "$out"
