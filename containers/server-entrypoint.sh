#!/bin/sh
# Entrypoint of the vigil signaling server image. The data dir is the /data volume.
#   serve [OPTIONS]            (default) the server, via the `deno task serve` launcher:
#                              it computes the least-privilege flags (serverFlags)
#   device:add|device:list|device:revoke|user:add|user:list|user:remove|user:passwd|
#   pki:init|keys:rotate ...   operator commands (`deno task <cmd>`: read/write /data only)
#   healthcheck                fetch https://127.0.0.1:8443/pki/ca trusting /data/pki/ca.pem
set -eu
cd /app
cmd=${1:-serve}
[ $# -gt 0 ] && shift
case "$cmd" in
  serve)
    exec deno run --allow-read --allow-run=deno scripts/serve.ts \
      --data-dir /data --host 0.0.0.0 --web-dir /app/subscriber-web/dist "$@" ;;
  device:*|user:*|pki:init|keys:rotate)
    exec deno run --allow-read --allow-run=deno scripts/admin.ts "$cmd" --data-dir /data "$@" ;;
  healthcheck)
    exec deno run --allow-net=127.0.0.1:8443 --allow-read=/data/pki/ca.pem \
      containers/healthcheck/server.ts "$@" ;;
  *)
    echo "vigil-server: unknown command \"$cmd\" (serve, device:add, user:add, …, healthcheck)" >&2
    exit 2 ;;
esac
