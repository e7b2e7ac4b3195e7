#!/bin/sh
# Entrypoint of containers/cluster/standin.Containerfile: Debian's postgresql-15, nats-server or
# haproxy behind the interface compose.cluster.yml uses with the official images, which stay
# its defaults (this stands in for them only where no registry is reachable):
#   postgres  POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD_FILE (read here, as root); on an
#             empty PGDATA (/var/lib/postgresql/data) initdb with scram-sha-256 for every host;
#             listens on all addresses; runs as the postgres user. Arguments go to postgres.
#   nats      nats-server with the compose `command` as its arguments (as root, like the image).
#   haproxy   haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg as the haproxy user.
set -eu
role=${STANDIN_ROLE:?}
[ "${1:-}" = "$role" ] && shift # `command: postgres -c …` as with the official images
as() { user=$1; shift; exec setpriv --reuid="$user" --regid="$user" --init-groups "$@"; }

case "$role" in
  postgres)
    bin=/usr/lib/postgresql/15/bin
    data=${PGDATA:-/var/lib/postgresql/data}
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    mkdir -p "$data"
    find "$data" ! -user postgres -exec chown postgres:postgres {} +
    chmod 0700 "$data"
    install -d -o postgres -g postgres -m 2775 /run/postgresql
    if [ ! -s "$data/PG_VERSION" ]; then
      [ -n "${POSTGRES_PASSWORD_FILE:-}" ] || {
        echo "standin postgres: POSTGRES_PASSWORD_FILE is required to initialize" >&2
        exit 1
      }
      # initdb reads the password from a file only the postgres user can read, removed after.
      pw=$(mktemp)
      chown postgres "$pw"
      cat "$POSTGRES_PASSWORD_FILE" > "$pw"
      setpriv --reuid=postgres --regid=postgres --init-groups "$bin/initdb" -D "$data" \
        --username="$user" --pwfile="$pw" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
      rm -f "$pw"
      echo "listen_addresses = '*'" >> "$data/postgresql.conf"
      echo "host all all all scram-sha-256" >> "$data/pg_hba.conf"
      if [ "$db" != postgres ]; then
        q=$(printf '%s' "$db" | sed 's/"/""/g')
        echo "CREATE DATABASE \"$q\";" |
          setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" --single \
            -D "$data" -j postgres >/dev/null
      fi
      echo "standin postgres: initialized $data (user $user, database $db)"
    fi
    as postgres "$bin/postgres" -D "$data" "$@" ;;
  nats)
    exec nats-server "$@" ;;
  haproxy)
    [ $# -gt 0 ] || set -- -f /usr/local/etc/haproxy/haproxy.cfg
    as haproxy haproxy -W -db "$@" ;;
  *)
    echo "standin: unknown role \"$role\"" >&2
    exit 2 ;;
esac
