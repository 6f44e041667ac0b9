#!/bin/sh
# The entrypoint of the postgres stand-in image that scripts/test-containers.sh builds from Debian's
# postgresql-15 where the official postgres image cannot be pulled. It honours the part of the
# official image's interface (docker-library/postgres, docker-entrypoint.sh and the image's
# documentation) that the tests use: POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD is
# trust, as the official image requires), POSTGRES_USER (default postgres), POSTGRES_DB (default the
# user), PGDATA, a first start that initialises an empty PGDATA, and `postgres -c name=value` arguments.
# Started as root, it prepares PGDATA and re-executes itself as the postgres user, as the official
# entrypoint does with gosu.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

[ "${1:-postgres}" = postgres ] || exec "$@"
[ "$#" = 0 ] || shift

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$method" != trust ]; then
    echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
    echo '       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust), as for the official image.' >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  pwflag=
  [ -z "${POSTGRES_PASSWORD:-}" ] || pwflag=--pwfile=$pwfile
  initdb -D "$PGDATA" --username="$user" $pwflag --auth-local=trust --auth-host="$method" >/dev/null
  rm -f "$pwfile"
  echo "host all all all $method" >>"$PGDATA/pg_hba.conf"
  db=${POSTGRES_DB:-$user}
  if [ "$db" != postgres ]; then
    echo "CREATE DATABASE \"$db\";" | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
