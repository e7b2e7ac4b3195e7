#!/bin/sh
# Entrypoint of the vigil signaling server image. The data dir is the /data volume.
#   serve [OPTIONS]            (default) the server, via the `deno task serve` launcher:
#                              it computes the least-privilege flags (serverFlags)
#   device:add|device:list|device:revoke|user:add|user:list|user:remove|user:passwd|
#   pki:init|keys:rotate ...   operator commands (`deno task <cmd>`: read/write /data only)
#   session:list|session:end|audit:list --remote URL --login NAME ...
#                              the same through a server's admin API (any command takes --remote)
#   healthcheck                fetch https://127.0.0.1:8443/pki/ca trusting /data/pki/ca.pem
#   turn --realm NAME --public-ip IP [turn:config options]
#                              coturn: writes /turn/turnserver.conf (the shipped hardened
#                              config + these values; the secret /turn/secret is created on
#                              first start), then runs turnserver. Without --public-ip (no
#                              VIGIL_TURN_IP in compose) it says so and exits 0.
set -eu
cd /app
cmd=${1:-serve}
[ $# -gt 0 ] && shift
case "$cmd" in
  serve)
    # VIGIL_TURN_URLS (space-separated stun:/turn:/turns: URLs) become --ice-server options;
    # the TURN secret is /data/turn/secret (the turn volume, shared with the turn service).
    set -f # the URLs hold "?": no globbing
    for url in ${VIGIL_TURN_URLS:-}; do
      [ "$url" = "none" ] || set -- "$@" --ice-server "$url"
    done
    exec deno run --allow-read --allow-run=deno scripts/serve.ts \
      --data-dir /data --host 0.0.0.0 --web-dir /app/subscriber-web/dist "$@" ;;
  device:*|user:*|session:*|audit:*|pki:init|keys:rotate)
    exec deno run --allow-read --allow-run=deno scripts/admin.ts "$cmd" --data-dir /data "$@" ;;
  turn)
    # --public-ip IP (compose: VIGIL_TURN_IP): coturn in this container's network, reached
    # through published ports (1:1 NAT), so it listens on the container's address and maps
    # its relay addresses to IP. "none" (the compose default) or nothing: TURN stays off.
    public=""; prev=""
    for a in "$@"; do [ "$prev" = "--public-ip" ] && public="$a"; prev="$a"; done
    if [ -z "$public" ] || [ "$public" = "none" ]; then
      echo "vigil-server turn: no --public-ip (set VIGIL_TURN_IP): TURN stays off" >&2
      exit 0
    fi
    self=$(hostname -i | cut -d' ' -f1)
    n=$#
    while [ "$n" -gt 0 ]; do
      a=$1; shift; n=$((n - 1))
      if [ "$a" = "--public-ip" ]; then shift; n=$((n - 1)); continue; fi
      set -- "$@" "$a"
    done
    deno run --allow-read=/app/containers/coturn/turnserver.conf,/turn --allow-write=/turn \
      scripts/turn_config.ts --dir /turn --listen "$self" --external-ip "$public/$self" "$@"
    exec turnserver -c /turn/turnserver.conf ;;
  healthcheck)
    exec deno run --allow-net=127.0.0.1:8443 --allow-read=/data/pki/ca.pem \
      containers/healthcheck/server.ts "$@" ;;
  *)
    echo "vigil-server: unknown command \"$cmd\" (serve, device:add, user:add, …, turn, healthcheck)" >&2
    exit 2 ;;
esac
