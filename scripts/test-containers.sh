#!/usr/bin/env bash
# scripts/test-containers.sh [TEST_FILE...]: proves that `npm test` needs nothing but Node and a
# container engine. Runs a few integration test files (the arguments, or DEFAULT_FILES below) with
# TEST_DATABASE_URL and TEST_REDIS_URL unset and the local defaults moved to ports where nothing
# answers (TEST_LOCAL_DATABASE_URL / TEST_LOCAL_REDIS_URL), so vitest's global setup
# (test/kit/global-setup.ts) must start Postgres and Redis with testcontainers; fails unless it did
# and the files pass. Then runs the demo (packages/sandbox/dist/demo.js, built by npm test) the same
# way: it must start its own containers and post its note.
#
#   1. Engine: Docker when a daemon answers (DOCKER_HOST as set); otherwise Podman serving the Docker
#      API (`podman system service`) on a socket of this run, with a store of this script's own in
#      .tools/containers/ (the settings scripts/test-images.sh gives: runc, cgroupfs, no default
#      ulimits), handed to testcontainers as DOCKER_HOST.
#   2. Images: TEST_POSTGRES_IMAGE (default postgres:15) and TEST_REDIS_IMAGE (default redis:7) when
#      present or pullable; otherwise stand-ins under those names, from a Debian bookworm root
#      filesystem with Debian's postgresql-15 and redis-server (debootstrap, cached in .tools/images/),
#      with an entrypoint that honours what the tests use of the official postgres image
#      (POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, PGDATA, `postgres -c`
#      flags) and a redis-server that, like the official image, accepts connections from outside.
#   3. testcontainers' resource reaper (Ryuk) is an image of its own that cannot be pulled everywhere:
#      it is off (TESTCONTAINERS_RYUK_DISABLED=true); the global setup's teardown stops its containers,
#      and this script removes any left in its Podman store.
#
# Exit 0: the files passed on containers. 1: they failed, or the containers were not started.
# 2: it cannot run here (no engine, no debootstrap for the stand-ins), never a silent pass.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

DEFAULT_FILES=(test/e2e/pipeline.e2e.test.ts test/e2e/tenant-isolation.e2e.test.ts apps/api/test/admin-tenant.test.ts)
POSTGRES_IMAGE=${TEST_POSTGRES_IMAGE:-postgres:15}
REDIS_IMAGE=${TEST_REDIS_IMAGE:-redis:7}
SUITE=bookworm
STARTED=$SECONDS

say() { printf '\n== test:containers: %s (%ss)\n' "$*" "$((SECONDS - STARTED))"; }
cannot_run() {
  printf '\ntest:containers CANNOT RUN: %s\n' "$*" >&2
  exit 2
}
fail() {
  printf '\ntest:containers FAILED: %s\n' "$*" >&2
  exit 1
}

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 15 docker info >/dev/null 2>&1; }

WORK=$(mktemp -d -t ai-agents-containers.XXXXXX)
SERVICE_PID=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$SERVICE_PID" ]; then
    # Containers a killed run left behind, in this script's own store; then the API service.
    engine ps -aq --filter label=org.testcontainers=true | xargs -r "${ENGINE_COMMAND[@]}" rm -f >/dev/null 2>&1
    kill "$SERVICE_PID" 2>/dev/null
    wait "$SERVICE_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  [ "$status" != 0 ] || printf '\ntest:containers passed in %ss\n' "$((SECONDS - STARTED))"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. engine ----------------------------------------------------------------------------------

start_podman_service() {
  command -v podman >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 ||
    cannot_run "no Docker daemon answers and Podman with runc is not installed (apt-get install podman runc)"
  # shellcheck source=scripts/podman-store.sh
  . "$ROOT/scripts/podman-store.sh"
  use_podman_store "$ROOT"
  local socket="$WORK/podman.sock"
  # Started directly, not through engine(): $! is then podman itself, which cleanup stops.
  "${ENGINE_COMMAND[@]}" system service --time=0 "unix://$socket" >"$WORK/podman-service.log" 2>&1 &
  SERVICE_PID=$!
  export DOCKER_HOST="unix://$socket"
  for _ in $(seq 1 50); do
    [ -S "$socket" ] && curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1 && return
    sleep 0.2
  done
  cat "$WORK/podman-service.log" >&2
  cannot_run "podman system service did not answer on $socket"
}

engine() { "${ENGINE_COMMAND[@]}" "$@"; }

if docker_answers; then
  ENGINE_COMMAND=(docker)
  say "engine: Docker ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
else
  start_podman_service
  say "engine: Podman's Docker API at $DOCKER_HOST ($(engine --version))"
fi

# ---- 2. images ----------------------------------------------------------------------------------

# What makes a stand-in: the entrypoint and the package list. Recorded as a label on the image, so a
# stand-in left by an older version of this script is replaced, and an official image (no label) kept.
STANDIN_PACKAGES=postgresql-15,redis-server
STANDIN_KEY=$( (
  echo "$SUITE $STANDIN_PACKAGES"
  cat "$ROOT/scripts/postgres-standin-entrypoint.sh"
) | sha256sum | cut -c1-12)

usable() {
  local label
  label=$(engine image inspect --format '{{index .Config.Labels "ai-agents.standin"}}' "$1" 2>/dev/null) || return 1
  [ -z "$label" ] || [ "$label" = "$STANDIN_KEY" ] || [ "$label" = "<no value>" ]
}

present_or_pulled() {
  usable "$1" && return
  timeout 120 "${ENGINE_COMMAND[@]}" pull -q "$1" >/dev/null 2>&1
}

# A Debian root filesystem with Debian's PostgreSQL 15 and Redis, as a tarball (cached: debootstrap
# takes minutes).
standin_rootfs() {
  local cache="$ROOT/.tools/images" tarball
  tarball="$cache/debian-$SUITE-postgresql-redis.tar"
  if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 ||
      cannot_run "the images cannot be pulled and debootstrap is not installed (apt-get install debootstrap)"
    mkdir -p "$cache"
    local dir
    dir=$(mktemp -d "$cache/rootfs.XXXXXX")
    echo "debootstrap --variant=minbase --include=$STANDIN_PACKAGES $SUITE ${DEBIAN_MIRROR:-}" >&2
    if ! debootstrap --variant=minbase --include="$STANDIN_PACKAGES" "$SUITE" "$dir" \
      ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >"$WORK/debootstrap.log" 2>&1; then
      tail -n 20 "$WORK/debootstrap.log" >&2
      rm -rf "$dir"
      fail "debootstrap could not build the stand-ins' root filesystem"
    fi
    # No cluster of the package's own (the entrypoint makes one in PGDATA), no caches or documentation.
    rm -rf "$dir"/etc/postgresql/15/main "$dir"/var/lib/postgresql/15 "$dir"/var/cache/apt/archives/*.deb \
      "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/dev/*
    tar --numeric-owner -C "$dir" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

# The cached root filesystem plus this checkout's entrypoint, as one tarball for import.
standin_tarball() {
  local tarball="$WORK/standin.tar"
  if [ ! -f "$tarball" ]; then
    cp "$(standin_rootfs)" "$tarball.partial"
    mkdir -p "$WORK/entry/usr/local/bin"
    install -m 755 "$ROOT/scripts/postgres-standin-entrypoint.sh" "$WORK/entry/usr/local/bin/docker-entrypoint.sh"
    tar --numeric-owner --owner=0 --group=0 -C "$WORK/entry" -rf "$tarball.partial" ./usr/local/bin/docker-entrypoint.sh
    mv "$tarball.partial" "$tarball"
  fi
  echo "$tarball"
}

# import_standin NAME CHANGES...: the root filesystem under the official name (docker.io/library/...,
# the name Podman's Docker API resolves a short name such as postgres:15 to).
import_standin() {
  local name=$1 full
  shift
  case "$name" in */*) full=$name ;; *) full=docker.io/library/$name ;; esac
  engine import --change "LABEL ai-agents.standin=$STANDIN_KEY" "$@" "$(standin_tarball)" "$full" \
    >"$WORK/import.log" 2>&1 || {
    cat "$WORK/import.log" >&2
    fail "could not import the stand-in $full"
  }
  echo "stand-in $full (Debian $SUITE packages)"
}

say "images $POSTGRES_IMAGE and $REDIS_IMAGE"
if present_or_pulled "$POSTGRES_IMAGE"; then
  echo "$POSTGRES_IMAGE: present or pulled"
else
  import_standin "$POSTGRES_IMAGE" --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV PGDATA=/var/lib/postgresql/data' --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["postgres"]' --change 'EXPOSE 5432' --change 'STOPSIGNAL SIGINT'
fi
if present_or_pulled "$REDIS_IMAGE"; then
  echo "$REDIS_IMAGE: present or pulled"
else
  # The official image's redis-server accepts connections from outside the container; Debian's keeps
  # protected mode on, which refuses them without a password.
  import_standin "$REDIS_IMAGE" --change 'USER redis' --change 'WORKDIR /var/lib/redis' --change 'EXPOSE 6379' \
    --change 'CMD ["redis-server", "--bind", "*", "-::*", "--protected-mode", "no"]'
fi

# ---- 3. the test files, with nothing where the tests look -----------------------------------------

read -r NO_PG_PORT NO_REDIS_PORT < <(node -e '
  const net = require("node:net");
  const servers = [net.createServer(), net.createServer()];
  Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
    .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });')
FILES=("$@")
[ "${#FILES[@]}" -gt 0 ] || FILES=("${DEFAULT_FILES[@]}")
say "vitest ${FILES[*]} with nothing on 127.0.0.1:$NO_PG_PORT (Postgres) and 127.0.0.1:$NO_REDIS_PORT (Redis)"
set +e
env -u TEST_DATABASE_URL -u TEST_REDIS_URL TESTCONTAINERS_RYUK_DISABLED=true \
  TEST_LOCAL_DATABASE_URL="postgres://postgres@127.0.0.1:$NO_PG_PORT/postgres" \
  TEST_LOCAL_REDIS_URL="redis://127.0.0.1:$NO_REDIS_PORT" \
  npx vitest run "${FILES[@]}" 2>&1 | tee "$WORK/vitest.log"
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || fail "the test files failed on containers (vitest exit $status)"
grep -q "starting $POSTGRES_IMAGE with testcontainers" "$WORK/vitest.log" ||
  fail "the tests passed, but not on a Postgres container that testcontainers started"
grep -q "starting $REDIS_IMAGE with testcontainers" "$WORK/vitest.log" ||
  fail "the tests passed, but not on a Redis container that testcontainers started"

# ---- 4. npm run demo, the same way --------------------------------------------------------------

say "npm run demo with nothing on 127.0.0.1:$NO_PG_PORT and 127.0.0.1:$NO_REDIS_PORT"
env -u DATABASE_URL -u REDIS_URL TESTCONTAINERS_RYUK_DISABLED=true \
  TEST_LOCAL_DATABASE_URL="postgres://postgres@127.0.0.1:$NO_PG_PORT/postgres" \
  TEST_LOCAL_REDIS_URL="redis://127.0.0.1:$NO_REDIS_PORT" \
  timeout 300 node packages/sandbox/dist/demo.js >"$WORK/demo.out" 2>"$WORK/demo.log" || {
  tail -n 30 "$WORK/demo.log" >&2
  fail "npm run demo failed on containers"
}
grep -q "starting $POSTGRES_IMAGE with testcontainers" "$WORK/demo.log" &&
  grep -q "starting $REDIS_IMAGE with testcontainers" "$WORK/demo.log" ||
  fail "the demo passed, but not on containers that testcontainers started"
echo "the demo posted its note on Postgres and Redis containers"
