#!/bin/sh
# Entrypoint of the vigil publisher image. Device state is the /state volume.
#   publish [OPTIONS]   (default) the publisher, via the `deno task publish` launcher:
#                       it computes the least-privilege flags (publisherFlags)
#   enroll OPTIONS      `deno task enroll` (network only to --server, files only in /state)
#   renew               `deno task renew`
#   healthcheck         state check: enrolled, device certificate valid now
set -eu
cd /app
cmd=${1:-publish}
[ $# -gt 0 ] && shift
# The state dir is /state unless the caller names one.
state="--state-dir /state"
for a in "$@"; do case "$a" in --state-dir|--state-dir=*) state="" ;; esac; done
case "$cmd" in
  publish)
    # shellcheck disable=SC2086
    exec deno run --allow-read --allow-run=deno --allow-env=GLIBC_TUNABLES --allow-sys=networkInterfaces scripts/publish.ts $state "$@" ;;
  enroll|renew)
    # shellcheck disable=SC2086
    exec deno run --allow-read --allow-run=deno scripts/device_launch.ts "$cmd" $state "$@" ;;
  healthcheck)
    exec deno run --allow-read=/state containers/healthcheck/publisher.ts "$@" ;;
  *)
    echo "vigil-publisher: unknown command \"$cmd\" (publish, enroll, renew, healthcheck)" >&2
    exit 2 ;;
esac
