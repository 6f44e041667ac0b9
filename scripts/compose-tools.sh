#!/usr/bin/env bash
# Sourced by scripts/test-compose.sh: the container engine, the compose v2 client and, with Podman,
# its Docker API service and a health-check runner. Needs ROOT, WORK, PROJECT, ENV_FILE, say, ok,
# cannot_run.

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "installing $* with apt-get" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 15 docker info >/dev/null 2>&1; }

# Docker when a daemon answers, else Podman with runc in the store scripts/test-images.sh uses (so
# the images it kept are here), with the same containers.conf (why each setting: that script).
ensure_engine() {
  if docker_answers; then
    ENGINE=docker
    ENGINE_COMMAND=(docker)
    return
  fi
  ENGINE=podman
  if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
    apt_install podman runc || cannot_run "no Docker daemon and no Podman with runc (apt-get install podman runc, as root)"
  fi
  # The same store and settings as test:images (KEEP_IMAGES=1 leaves its images there for this run).
  # shellcheck source=scripts/podman-store.sh
  . "$ROOT/scripts/podman-store.sh"
  use_podman_store "$ROOT"
  ok "engine: $(podman --version)"
}
engine() { "${ENGINE_COMMAND[@]}" "$@"; }

# `docker compose` when the plugin is there; else the compose v2 binary of Debian's docker-compose
# package from the next release (trixie; bookworm's docker-compose is v1), downloaded with apt into
# .tools/compose/ with a source list and state of its own: nothing on the system changes.
ensure_compose_client() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    COMPOSE_COMMAND=(docker compose)
    ok "compose: $(docker compose version)"
    return
  fi
  local dir="$ROOT/.tools/compose" binary="$ROOT/.tools/compose/docker-compose"
  if [ ! -x "$binary" ]; then
    command -v apt-get >/dev/null 2>&1 || cannot_run "no docker compose v2 client and no apt-get to fetch one"
    mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/deb"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${DEBIAN_MIRROR:-http://deb.debian.org/debian} trixie main" \
      >"$dir/sources.list"
    local apt_options=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir" -o "Dir::Cache::Archives=$dir/archives"
      -o APT::Sandbox::User=root)
    apt-get "${apt_options[@]}" update -qq >"$WORK/apt.log" 2>&1 &&
      (cd "$dir/deb" && apt-get "${apt_options[@]}" download docker-compose >>"$WORK/apt.log" 2>&1) ||
      { cat "$WORK/apt.log" >&2; cannot_run "could not download Debian's docker-compose package"; }
    dpkg-deb -x "$dir"/deb/docker-compose_*.deb "$dir/root"
    cp "$dir/root/usr/libexec/docker/cli-plugins/docker-compose" "$binary"
    rm -rf "$dir/root" "$dir/deb" "$dir/lists" "$dir/archives"
  fi
  COMPOSE_COMMAND=("$binary")
  ok "compose: $("$binary" version)"
}

# The documented command, in this run's project and with this run's .env.prod.
# The test CA is mounted and named in EXTRA_CA_FILE by test/compose/private-ca.yml.
TEST_COMPOSE_FILES=(-f "$ROOT/test/compose/private-ca.yml")
compose() {
  "${COMPOSE_COMMAND[@]}" -p "$PROJECT" --project-directory "$ROOT" -f "$ROOT/docker-compose.prod.yml" \
    "${TEST_COMPOSE_FILES[@]}" --env-file "$ENV_FILE" "$@"
}
# The same, as scripts/backup.sh and scripts/restore.sh take it (COMPOSE; they add the prod file).
compose_for_scripts() { echo "${COMPOSE_COMMAND[*]} -p $PROJECT --project-directory $ROOT ${TEST_COMPOSE_FILES[*]}"; }

# Podman: its Docker API on a socket of this run, and the health checks run every 3 s.
start_engine_api() {
  [ "$ENGINE" = podman ] || return 0
  local socket="$WORK/podman.sock"
  # Started directly, not through engine(): $! is then podman's own pid, which cleanup stops.
  "${ENGINE_COMMAND[@]}" system service --time=0 "unix://$socket" >"$WORK/podman-service.log" 2>&1 &
  SERVICE_PID=$!
  export DOCKER_HOST="unix://$socket"
  for _ in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.2; done
  [ -S "$socket" ] || cannot_run "podman system service did not open its socket"
  run_health_checks &
  HEALTH_PID=$!
  ok "Podman's Docker API on $socket"
}

run_health_checks() {
  local id
  while sleep 3; do
    for id in $(engine ps -q --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null); do
      engine healthcheck run "$id" >/dev/null 2>&1 || true
    done
  done
}
