#!/bin/sh
# Builds a local base image with Deno when no registry is reachable:
#   Debian bookworm (debootstrap --variant=minbase, from the Debian mirror)
#   + the deno binary from npm (deno@<version> pulls @deno/linux-<arch>-glibc)
#   → podman import → localhost/vigil-base:bookworm (override with VIGIL_BASE_IMAGE).
# The result stands in for docker.io/denoland/deno:<version>: deno at /usr/bin/deno.
# Skips everything if the image already exists (FORCE=1 rebuilds).
# Needs root (debootstrap), debootstrap, podman, npm.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DENO_VERSION=${DENO_VERSION:-2.9.6}
IMAGE=${VIGIL_BASE_IMAGE:-localhost/vigil-base:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
: "${CONTAINERS_CONF:=$HERE/podman/containers.conf}"
: "${CONTAINERS_STORAGE_CONF:=$HERE/podman/storage.conf}"
export CONTAINERS_CONF CONTAINERS_STORAGE_CONF

if [ "${FORCE:-0}" != 1 ] && podman image exists "$IMAGE"; then
  echo "build-base: $IMAGE exists (FORCE=1 to rebuild)"
  exit 0
fi
for t in debootstrap podman npm; do
  command -v "$t" >/dev/null || { echo "build-base: $t missing (apt-get install $t)" >&2; exit 1; }
done

WORK=$(mktemp -d /var/tmp/vigil-base.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/rootfs

# ca-certificates: the publisher/healthcheck talk TLS to a private CA only, but keep
# the system store for operator certificates. tini is not needed: deno forwards signals
# through the launchers, and compose sets init: true.
debootstrap --variant=minbase --include=ca-certificates bookworm "$ROOT" "$MIRROR"

# Deno from npm: the `deno` package's optional dependency holds this platform's binary.
mkdir "$WORK/npm"
npm install --prefix "$WORK/npm" --no-save --no-audit --no-fund "deno@$DENO_VERSION" >/dev/null
BIN=$(find "$WORK/npm/node_modules/@deno" -maxdepth 2 -type f -name deno | head -n1)
[ -n "$BIN" ] || { echo "build-base: no deno binary in the npm package" >&2; exit 1; }
install -m 0755 "$BIN" "$ROOT/usr/bin/deno"
"$ROOT/usr/bin/deno" --version | head -n1

# Like the official image: an unprivileged `deno` user (uid 1993), DENO_DIR /deno-dir.
chroot "$ROOT" sh -c 'groupadd -g 1993 deno && useradd -u 1993 -g deno -d /home/deno -m -s /usr/sbin/nologin deno && mkdir -p /deno-dir && chown deno:deno /deno-dir'

# Slim it: apt lists, caches, docs, man pages, locales.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
  "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* \
  "$ROOT"/var/log/*.log "$ROOT"/var/cache/debconf/*-old

tar --numeric-owner -C "$ROOT" -c . | podman import \
  --change 'ENV DENO_DIR=/deno-dir' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["deno", "--version"]' \
  - "$IMAGE"
podman image ls "$IMAGE"
