#!/bin/sh
# Creates the cluster's secrets as files in DIR (default containers/cluster/secrets), once:
#   kek            the key-encryption key sealing the CA and JWT keys in PostgreSQL
#   pg.password    the `vigil` database role's password
#   nats.password  the `vigil` NATS user's password
#   nats.conf      nats-server's config (it holds the password: 0600)
# Nothing secret goes into compose.cluster.yml; these files are mounted read-only.
# The files belong to uid 1993 (the images' `deno` user; NATS/PostgreSQL read theirs as root).
set -eu
dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
for f in kek pg.password nats.password; do
  [ -e "$dir/$f" ] || openssl rand -base64 32 | tr -d '\n' > "$dir/$f"
done
# Passwords without '/' '+' '=' so they need no quoting in nats.conf.
for f in pg.password nats.password; do
  tr '/+=' '_-x' < "$dir/$f" > "$dir/$f.tmp" && mv "$dir/$f.tmp" "$dir/$f"
done
cat > "$dir/nats.conf" <<CONF
port: 4222
authorization { user: vigil, password: "$(cat "$dir/nats.password")" }
CONF
chown 1993:1993 "$dir/kek" "$dir/pg.password" "$dir/nats.password" 2>/dev/null || true
echo "secrets in $dir (keep a copy of kek: without it the sealed CA and keys are lost)"
