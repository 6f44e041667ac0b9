#!/usr/bin/env bash
# npm run test:images: builds every target of docker/Dockerfile and runs the images the way production
# does, against this machine's Postgres and Redis.
#
#   1. Engine: Docker when a daemon answers, otherwise Podman (installed with apt-get when missing and
#      this runs as root). Podman keeps its images in a store of this script's own, .tools/containers/.
#   2. Base image: NODE_IMAGE (default node:24-bookworm-slim, the Dockerfile's) when it is present or
#      can be pulled; otherwise a stand-in built here: a Debian bookworm root filesystem
#      (debootstrap --variant=minbase, from the mirror apt uses) plus the official Node.js binary and
#      npm from the npm registry (scripts/ensure-node.sh), passed in through the Dockerfile's
#      NODE_IMAGE argument. The Dockerfile is built as it is.
#   3. Builds api, worker, migrate and sandbox, tagged $IMAGE_REPOSITORY/<target>:$AI_AGENTS_VERSION
#      (the names docker-compose.prod.yml runs; defaults ai-agents and test-<commit>).
#   4. Runs migrate, then sandbox, api and worker, each with a read-only root filesystem (tmpfs /tmp),
#      uid 10001, all capabilities dropped, no new privileges, host network, NODE_ENV=production for
#      api, worker and migrate; a database, an application role and a queue prefix of its own; free
#      ports. Adds a tenant with the admin CLI from the api image, sends a signed webhook to the api
#      and waits for the note in the sandbox; runs scripts/smoke-test.sh against the api; waits for
#      each HEALTHCHECK to report healthy; stops each with SIGTERM and checks it exits 0 within its
#      grace period.
#   5. Prints each image's size and fails above the budgets below.
#   6. Removes its containers, images, database, role and Redis keys, also on failure or Ctrl-C.
#      KEEP_IMAGES=1 keeps the four images (e.g. for docker compose -f docker-compose.prod.yml).
#
# Exit 0: all passed. 1: a check failed (the line says which; container logs are printed). 2: it cannot
# run here (no container engine and none installable, ...), never a silent pass.
#
# Environment: TEST_DATABASE_URL (a superuser connection; default postgres://postgres@127.0.0.1:5432/postgres),
# TEST_REDIS_URL (default redis://127.0.0.1:6379), CONTAINER_ENGINE (docker or podman, to choose),
# NODE_IMAGE, IMAGE_REPOSITORY, AI_AGENTS_VERSION, KEEP_IMAGES, DEBIAN_MIRROR (for debootstrap).
# The stand-in's Debian root filesystem is cached in .tools/images/ (delete it to rebuild); a fresh
# clone builds everything from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Budgets. The layers above the base hold node_modules with production dependencies only (about
# 145 MB today: OpenTelemetry, openai, drizzle, ...), the compiled dist/ folders and the SQL
# migrations. The full install with the dev tools (TypeScript, vitest, biome, ...) is about 560 MB
# more, so copying it by mistake is far above APP_LAYERS_BUDGET_MB. The whole image adds the base:
# node:24-bookworm-slim and the stand-in are each about 220 MB.
APP_LAYERS_BUDGET_MB=200
IMAGE_BUDGET_MB=450

# Stop grace periods, as docker-compose.prod.yml and deploy/k8s give them: the api drains requests
# for up to SHUTDOWN_TIMEOUT_MS (25 s) of its 30 s, the worker finishes jobs within 330 s; the
# sandbox has the engines' default 10 s.
declare -A GRACE_SECONDS=([api]=30 [worker]=330 [sandbox]=10)
HEALTHY_WITHIN_SECONDS=90
NOTE_WITHIN_SECONDS=60

SUITE=bookworm
TARGETS=(migrate sandbox api worker)
STARTED=$SECONDS

say() { printf '\n== test:images: %s (%ss)\n' "$*" "$((SECONDS - STARTED))"; }
ok() { printf 'ok    %s\n' "$*"; }
cannot_run() {
  printf '\ntest:images CANNOT RUN: %s\n' "$*" >&2
  exit 2
}
fail() {
  printf '\ntest:images FAILED: %s\n' "$*" >&2
  dump_logs
  exit 1
}

# ---- names of this run --------------------------------------------------------------------------

RUN_ID=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo local)
IMAGE_REPOSITORY=${IMAGE_REPOSITORY:-ai-agents}
AI_AGENTS_VERSION=${AI_AGENTS_VERSION:-test-$COMMIT}
image() { printf '%s/%s:%s' "$IMAGE_REPOSITORY" "$1" "$AI_AGENTS_VERSION"; }
container() { printf 'ai-agents-images-%s-%s' "$RUN_ID" "$1"; }
DATABASE=ai_agents_images_$RUN_ID
APP_ROLE=ai_agents_images_${RUN_ID}_app
QUEUE_PREFIX=ai-agents-images-$RUN_ID
ADMIN_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
# What this run made, and so removes (cleanup below).
CREATED_CONTAINERS=()
CREATED_IMAGES=()
CREATED_DATABASE=0
STANDIN_IMAGE=

case "${1:-}" in
  "") ;;
  --print-images)
    # The four tags a run builds, one a line, and nothing else.
    for target in "${TARGETS[@]}"; do printf '%s\n' "$(image "$target")"; done
    exit 0
    ;;
  *)
    echo "usage: $0 [--print-images]   (see the comment at the top of this file)" >&2
    exit 2
    ;;
esac

# ---- engine -------------------------------------------------------------------------------------

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  echo "installing $* with apt-get" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 15 docker info >/dev/null 2>&1; }

ENGINE=${CONTAINER_ENGINE:-}
if [ -z "$ENGINE" ]; then
  if docker_answers; then ENGINE=docker; else ENGINE=podman; fi
fi
case "$ENGINE" in
  docker)
    docker_answers || cannot_run "CONTAINER_ENGINE=docker, but no Docker daemon answers"
    ENGINE_COMMAND=(docker)
    ;;
  podman)
    if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
      apt_install podman runc ||
        cannot_run "no Docker daemon answers and Podman with runc is not installed (apt-get install podman runc, as root)"
    fi
    # A store of the repository's own, runc, cgroupfs, no default ulimits (scripts/podman-store.sh).
    # shellcheck source=scripts/podman-store.sh
    . "$ROOT/scripts/podman-store.sh"
    use_podman_store "$ROOT"
    ;;
  *) cannot_run "CONTAINER_ENGINE must be docker or podman, got \"$ENGINE\"" ;;
esac
engine() { "${ENGINE_COMMAND[@]}" "$@"; }

for tool in curl openssl node npm tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || cannot_run "$tool is not installed"
done

WORK=$(mktemp -d -t ai-agents-images.XXXXXX)
chmod 700 "$WORK"

# ---- cleanup ------------------------------------------------------------------------------------

dump_logs() {
  local name
  for name in "${CREATED_CONTAINERS[@]}"; do
    engine inspect "$name" >/dev/null 2>&1 || continue
    printf '\n---- last lines of %s ----\n' "$name" >&2
    engine logs --tail 40 "$name" >&2 2>&1 || true
  done
}

# node with the workspace's own pg and ioredis (npm ci ran before this script).
node_helper() { node --input-type=module -e "$@"; }

pg_admin() {
  node_helper '
    import pg from "pg";
    const [url, database, ...statements] = process.argv.slice(1);
    const target = new URL(url);
    if (database) target.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: target.toString() });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }' "$ADMIN_DATABASE_URL" "$@"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  say "cleaning up"
  local name
  for name in "${CREATED_CONTAINERS[@]}"; do engine rm -f "$name" >/dev/null 2>&1; done
  if [ "${KEEP_IMAGES:-}" = 1 ]; then
    echo "KEEP_IMAGES=1: kept ${CREATED_IMAGES[*]}"
  elif [ "${#CREATED_IMAGES[@]}" -gt 0 ]; then
    engine rmi "${CREATED_IMAGES[@]}" >/dev/null 2>&1
  fi
  if [ "$ENGINE" = podman ]; then
    # The store is this script's own: its intermediate build images go too, the stand-in base stays.
    engine image prune -f >/dev/null 2>&1
  elif [ -n "$STANDIN_IMAGE" ]; then
    engine rmi "$STANDIN_IMAGE" >/dev/null 2>&1
  fi
  if [ "$CREATED_DATABASE" = 1 ]; then
    pg_admin "" "drop database if exists \"$DATABASE\" with (force)" "drop role if exists \"$APP_ROLE\"" ||
      echo "could not drop database $DATABASE and role $APP_ROLE" >&2
  fi
  node_helper '
    import Redis from "ioredis";
    const [url, prefix] = process.argv.slice(1);
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();' "$REDIS_URL" "$QUEUE_PREFIX" || echo "could not delete the Redis keys $QUEUE_PREFIX:*" >&2
  rm -rf "$WORK"
  if [ "$status" = 0 ]; then
    printf '\ntest:images passed in %ss (%s)\n' "$((SECONDS - STARTED))" "$ENGINE"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- base image ---------------------------------------------------------------------------------

# The first Debian mirror apt uses here (deb822 .sources or one-line format), so debootstrap fetches
# from where apt-get does; empty = debootstrap's own default.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then
    echo "$DEBIAN_MIRROR"
    return
  fi
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (uri && ok && deb) { print uri; exit } uri = ""; ok = 0; deb = 0; next }
      /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      END { if (uri && ok && deb) print uri }' "$file" | head -n 1
  done | head -n 1 | grep . && return
  if [ -f /etc/apt/sources.list ]; then
    awk -v suite="$SUITE" '$1 == "deb" && $0 !~ /\[/ && $3 == suite { print $2; exit }' /etc/apt/sources.list
  fi
}

# The CA bundle this machine's npm and Node trust (a TLS-inspecting proxy's CA may be in it).
ca_bundle() {
  local file
  file=$(npm config get cafile 2>/dev/null || true)
  if [ -n "$file" ] && [ "$file" != null ] && [ "$file" != undefined ] && [ -f "$file" ]; then
    echo "$file"
  elif [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    echo "$NODE_EXTRA_CA_CERTS"
  fi
}

debian_rootfs() {
  local cache="$ROOT/.tools/images"
  local tarball="$cache/debian-$SUITE-minbase.tar"
  if [ -f "$tarball" ]; then
    echo "$tarball"
    return
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    apt_install debootstrap >&2 || cannot_run "the base image cannot be pulled and debootstrap is not installed"
  fi
  mkdir -p "$cache"
  local dir mirror
  dir=$(mktemp -d "$cache/rootfs.XXXXXX")
  mirror=$(debian_mirror || true)
  echo "debootstrap --variant=minbase $SUITE ${mirror:-(default mirror)}" >&2
  if ! debootstrap --variant=minbase "$SUITE" "$dir" ${mirror:+"$mirror"} >"$WORK/debootstrap.log" 2>&1; then
    tail -n 20 "$WORK/debootstrap.log" >&2
    rm -rf "$dir"
    fail "debootstrap could not build the Debian root filesystem"
  fi
  # As Debian's slim images: no package caches, lists, documentation or translations.
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
    "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* "$dir"/dev/*
  tar --numeric-owner -C "$dir" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$dir"
  echo "$tarball"
}

# Sets NODE_BASE, the NODE_IMAGE to build from.
base_image() {
  local official=${NODE_IMAGE:-node:24-bookworm-slim}
  if engine image inspect "$official" >/dev/null 2>&1; then
    echo "base image: $official (present)"
    NODE_BASE=$official
    return
  fi
  if timeout 120 "${ENGINE_COMMAND[@]}" pull -q "$official" >"$WORK/pull.log" 2>&1; then
    echo "base image: $official (pulled)"
    NODE_BASE=$official
    return
  fi
  echo "base image: $official cannot be pulled here ($(tail -n 1 "$WORK/pull.log" | cut -c1-160)); building a stand-in"

  # shellcheck source=scripts/ensure-node.sh
  . "$ROOT/scripts/ensure-node.sh"
  local node_dir="$ROOT/.tools/node-v$NODE_VERSION"
  ensure_node_install "$node_dir" || cannot_run "could not fetch Node.js $NODE_VERSION for the stand-in base image"
  local rootfs ca key tag
  rootfs=$(debian_rootfs)
  ca=$(ca_bundle)
  key=$( (
    sha256sum "$rootfs" | cut -d' ' -f1
    echo "$NODE_VERSION $NPM_VERSION"
    [ -z "$ca" ] || sha256sum "$ca" | cut -d' ' -f1
  ) | sha256sum | cut -c1-12)
  tag="localhost/ai-agents-node-standin:$NODE_VERSION-$key"
  if engine image inspect "$tag" >/dev/null 2>&1; then
    echo "stand-in $tag (cached)"
  else
    local dir="$WORK/standin"
    mkdir -p "$dir"
    tar -C "$dir" -xf "$rootfs"
    # The layout of the official image: node, npm and npx in /usr/local.
    mkdir -p "$dir/usr/local/bin" "$dir/usr/local/lib/node_modules"
    cp -a "$node_dir/bin/node" "$dir/usr/local/bin/node"
    cp -a "$node_dir/lib/node_modules/npm" "$dir/usr/local/lib/node_modules/npm"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
    local changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
      --change "ENV NODE_VERSION=$NODE_VERSION" --change 'CMD ["node"]')
    if [ -n "$ca" ]; then
      # Only the stand-in trusts the machine's CA bundle, so npm ci in the build reaches the registry
      # through this machine's network; the official image is used as it is.
      mkdir -p "$dir/usr/local/share/ca-certificates"
      cp "$ca" "$dir/usr/local/share/ca-certificates/build-machine-ca-bundle.crt"
      changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build-machine-ca-bundle.crt')
    fi
    tar --numeric-owner -C "$dir" -c . | engine import "${changes[@]}" - "$tag" >"$WORK/import.log" 2>&1 || {
      cat "$WORK/import.log" >&2
      fail "could not import the stand-in base image"
    }
    rm -rf "$dir"
    echo "stand-in $tag (Debian $SUITE minbase, Node.js $NODE_VERSION, npm $NPM_VERSION)"
  fi
  [ "$ENGINE" = podman ] || STANDIN_IMAGE=$tag
  NODE_BASE=$tag
}

# ---- helpers for the running containers ---------------------------------------------------------

free_ports() {
  node -e '
    const net = require("node:net");
    const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
      .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });' "$1"
}

# The production settings of every container: docker-compose.prod.yml and deploy/k8s set the same.
RUN_FLAGS=(--network host --read-only --tmpfs /tmp --user 10001:10001 --cap-drop ALL
  --security-opt no-new-privileges)
# Podman adds tmpfs mounts on /run and /var/tmp to read-only containers unless told not to.
[ "$ENGINE" = docker ] || RUN_FLAGS+=(--read-only-tmpfs=false)

env_file() {
  local file="$WORK/$1.env"
  shift
  printf '%s\n' "$@" >"$file"
  echo "$file"
}

# start_container TARGET ENV_FILE [ENGINE_RUN_FLAGS...]
start_container() {
  local target=$1 envfile=$2 name
  shift 2
  name=$(container "$target")
  CREATED_CONTAINERS+=("$name")
  # Podman without systemd cannot schedule health checks (it says so on stderr); they are run below.
  engine run -d --name "$name" "${RUN_FLAGS[@]}" "$@" --env-file "$envfile" "$(image "$target")" \
    >/dev/null 2>"$WORK/$target.run.log" || {
    cat "$WORK/$target.run.log" >&2
    fail "$target: the container did not start"
  }
}

running() { [ "$(engine inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

health_status() {
  engine inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1" 2>/dev/null
}

wait_healthy() {
  local target=$1 name status deadline=$((SECONDS + HEALTHY_WITHIN_SECONDS))
  name=$(container "$target")
  while :; do
    running "$name" || fail "$target: the container exited before it was healthy"
    # Docker runs the HEALTHCHECK on its interval; Podman is asked to run it now.
    [ "$ENGINE" = docker ] || engine healthcheck run "$name" >/dev/null 2>&1 || true
    status=$(health_status "$name")
    if [ "$status" = healthy ]; then
      ok "$target: HEALTHCHECK reports healthy"
      return
    fi
    [ "$SECONDS" -lt "$deadline" ] ||
      fail "$target: HEALTHCHECK reports \"${status:-nothing}\" after ${HEALTHY_WITHIN_SECONDS}s"
    sleep 2
  done
}

# What production relies on, read from the container's main process (pid 1, the image's CMD): its
# uid and gid, no effective capabilities, no new privileges; and a root filesystem that cannot be
# written while /tmp can.
check_confinement() {
  local target=$1 report
  report=$(engine exec "$(container "$target")" node -e '
    const fs = require("node:fs");
    const status = fs.readFileSync("/proc/1/status", "utf8");
    const field = (name) => new RegExp(`^${name}:\\s*(\\S+)`, "m").exec(status)?.[1];
    const writable = (path) => {
      try {
        fs.writeFileSync(path, "x");
        fs.unlinkSync(path);
        return true;
      } catch {
        return false;
      }
    };
    const command = fs.readFileSync("/proc/1/cmdline", "utf8").split("\0")[0];
    console.log(`pid1=${command} uid=${field("Uid")} gid=${field("Gid")} CapEff=${field("CapEff")}` +
      ` NoNewPrivs=${field("NoNewPrivs")} app_writable=${writable("/app/.written-by-test")}` +
      ` tmp_writable=${writable("/tmp/.written-by-test")}`);' 2>&1) ||
    fail "$target: could not inspect the running process: $report"
  [ "$report" = "pid1=node uid=10001 gid=10001 CapEff=0000000000000000 NoNewPrivs=1 app_writable=false tmp_writable=true" ] ||
    fail "$target: not confined as in production: $report"
  ok "$target: node runs as uid 10001 with no capabilities and no new privileges; / is read-only, /tmp writable"
}

stop_with_sigterm() {
  local target=$1 name grace=${GRACE_SECONDS[$1]} started code
  name=$(container "$target")
  started=$SECONDS
  # stop sends SIGTERM (the images set no other STOPSIGNAL), then SIGKILL after the grace period: exit
  # 0 means the process shut down by itself in time.
  engine stop --time "$grace" "$name" >/dev/null 2>&1 || fail "$target: engine stop failed"
  code=$(engine inspect --format '{{.State.ExitCode}}' "$name")
  [ "$code" = 0 ] || fail "$target: exited with $code after SIGTERM (grace period ${grace}s)"
  ok "$target: stopped on SIGTERM in $((SECONDS - started))s with exit 0 (grace period ${grace}s)"
}

json_field() { node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"; }

# ---- 1. build -----------------------------------------------------------------------------------

say "engine $ENGINE ($(engine --version 2>/dev/null | head -n 1))"
NODE_BASE=
base_image

BUILD_FLAGS=(--network host --build-arg "NODE_IMAGE=$NODE_BASE" -f docker/Dockerfile)
# Podman writes OCI images by default, and the OCI format has no HEALTHCHECK.
[ "$ENGINE" = docker ] || BUILD_FLAGS+=(--format docker)
for target in "${TARGETS[@]}"; do
  if engine image inspect "$(image "$target")" >/dev/null 2>&1; then
    if [ "$ENGINE" = podman ]; then
      engine rmi -f "$(image "$target")" >/dev/null # a leftover of an interrupted run, in the script's store
    else
      cannot_run "$(image "$target") exists already and is not this run's; set AI_AGENTS_VERSION to another tag"
    fi
  fi
done
for target in "${TARGETS[@]}"; do
  say "building $(image "$target")"
  CREATED_IMAGES+=("$(image "$target")")
  if ! engine build "${BUILD_FLAGS[@]}" --target "$target" -t "$(image "$target")" . >"$WORK/build-$target.log" 2>&1; then
    tail -n 40 "$WORK/build-$target.log" >&2
    fail "building target $target"
  fi
  ok "built $(image "$target")"
done

say "image sizes (budget: ${IMAGE_BUDGET_MB} MB per image, ${APP_LAYERS_BUDGET_MB} MB above the base)"
base_bytes=$(engine image inspect --format '{{.Size}}' "$NODE_BASE")
printf '%-44s %5d MB\n' "$NODE_BASE" "$((base_bytes / 1000000))"
for target in "${TARGETS[@]}"; do
  bytes=$(engine image inspect --format '{{.Size}}' "$(image "$target")")
  total_mb=$((bytes / 1000000))
  app_mb=$(((bytes - base_bytes) / 1000000))
  printf '%-44s %5d MB (%d MB above the base)\n' "$(image "$target")" "$total_mb" "$app_mb"
  [ "$total_mb" -le "$IMAGE_BUDGET_MB" ] || fail "$target: $total_mb MB is above the budget of $IMAGE_BUDGET_MB MB"
  [ "$app_mb" -le "$APP_LAYERS_BUDGET_MB" ] ||
    fail "$target: $app_mb MB above the base image is over the budget of $APP_LAYERS_BUDGET_MB MB (dev dependencies in the runtime?)"
done

# ---- 2. migrate, sandbox, api, worker -----------------------------------------------------------

read -r API_PORT WORKER_PORT SDP_PORT LLM_PORT < <(free_ports 4)
APP_DB_PASSWORD=$(openssl rand -hex 24)
ENCRYPTION_KEY=$(openssl rand -base64 32)
db_url() { # db_url USER PASSWORD: the admin URL's host and port, this run's database
  node -e '
    const url = new URL(process.argv[1]);
    url.username = process.argv[2];
    url.password = process.argv[3];
    url.pathname = `/${process.argv[4]}`;
    console.log(url.toString());' "$ADMIN_DATABASE_URL" "$1" "$2" "$DATABASE"
}
OWNER_URL=$(db_url "$(node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).username))' "$ADMIN_DATABASE_URL")" \
  "$(node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).password))' "$ADMIN_DATABASE_URL")")
APP_URL=$(db_url "$APP_ROLE" "$APP_DB_PASSWORD")
# Where this script reaches the api container. Production requires an https PUBLIC_BASE_URL (the
# address notes link to); nothing here follows those links, so it names a host of its own.
API_URL=http://127.0.0.1:$API_PORT
PUBLIC_BASE_URL=https://ai-agents.images.test
# Production also requires https of a ServiceDesk Plus portal: the sandbox serves TLS with a
# certificate made here for 127.0.0.1, which the worker trusts through NODE_EXTRA_CA_CERTS.
mkdir -p "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" \
  >/dev/null 2>&1 || cannot_run "openssl could not make the sandbox's certificate"
# Read by uid 10001 in the containers; a throwaway key for this run only.
chmod 755 "$WORK/tls" && chmod 644 "$WORK/tls/key.pem" "$WORK/tls/cert.pem"
TLS_MOUNT=(--volume "$WORK/tls:/tls:ro")
SDP_URL=https://127.0.0.1:$SDP_PORT
sandbox_curl() { curl --cacert "$WORK/tls/cert.pem" "$@"; }

say "database $DATABASE, role $APP_ROLE, queue prefix $QUEUE_PREFIX; ports api $API_PORT, worker $WORKER_PORT, sandbox $SDP_PORT/$LLM_PORT"
pg_admin "" "create database \"$DATABASE\"" || cannot_run "cannot create a database with TEST_DATABASE_URL"
CREATED_DATABASE=1

say "migrate"
MIGRATE_ENV=$(env_file migrate NODE_ENV=production LOG_LEVEL=info "DATABASE_URL=$OWNER_URL" \
  "APP_DB_ROLE=$APP_ROLE" "APP_DB_PASSWORD=$APP_DB_PASSWORD")
CREATED_CONTAINERS+=("$(container migrate)")
if ! engine run --name "$(container migrate)" "${RUN_FLAGS[@]}" --env-file "$MIGRATE_ENV" "$(image migrate)" \
  >"$WORK/migrate.log" 2>&1; then
  cat "$WORK/migrate.log" >&2
  fail "migrate exited with $(engine inspect --format '{{.State.ExitCode}}' "$(container migrate)" 2>/dev/null)"
fi
grep -q "role $APP_ROLE and its grants are in place" "$WORK/migrate.log" || {
  cat "$WORK/migrate.log" >&2
  fail "migrate exited 0 but did not report the application role"
}
ok "migrate applied the schema and exited 0"

say "sandbox, api and worker"
SERVICE_ENV=(NODE_ENV=production LOG_LEVEL=info "DATABASE_URL=$APP_URL" "REDIS_URL=$REDIS_URL"
  "QUEUE_PREFIX=$QUEUE_PREFIX" "ENCRYPTION_KEY=$ENCRYPTION_KEY" "PUBLIC_BASE_URL=$PUBLIC_BASE_URL")
# Loopback only: with the host network, 0.0.0.0 would expose the test services to the network.
start_container sandbox "$(env_file sandbox SANDBOX_HOST=127.0.0.1 "SANDBOX_SDP_PORT=$SDP_PORT" "SANDBOX_LLM_PORT=$LLM_PORT" \
  SANDBOX_TLS_CERT_FILE=/tls/cert.pem SANDBOX_TLS_KEY_FILE=/tls/key.pem NODE_EXTRA_CA_CERTS=/tls/cert.pem)" \
  "${TLS_MOUNT[@]}"
start_container api "$(env_file api "${SERVICE_ENV[@]}" HOST=127.0.0.1 "PORT=$API_PORT")"
start_container worker "$(env_file worker "${SERVICE_ENV[@]}" WORKER_HTTP_HOST=127.0.0.1 \
  "WORKER_HTTP_PORT=$WORKER_PORT" OPENAI_API_KEY=sandbox "OPENAI_BASE_URL=http://127.0.0.1:$LLM_PORT/v1" \
  WORKER_CONCURRENCY=2 NODE_EXTRA_CA_CERTS=/tls/cert.pem)" "${TLS_MOUNT[@]}"
for target in sandbox api worker; do wait_healthy "$target"; done
for target in sandbox api worker; do check_confinement "$target"; done

# ---- 3. a tenant, a webhook, the note; the smoke test -------------------------------------------

say "adding a tenant with the admin CLI of the api image"
SLUG=images-$RUN_ID
ADMIN_ENV=$(env_file admin "${SERVICE_ENV[@]}" SDP_TECHNICIAN_KEY=sandbox-technician-key)
CREATED_CONTAINERS+=("$(container admin)")
if ! engine run --name "$(container admin)" "${RUN_FLAGS[@]}" --env-file "$ADMIN_ENV" "$(image api)" \
  node apps/api/dist/admin/main.js tenant add --slug "$SLUG" --name "Image test $RUN_ID" \
  --sdp-url "$SDP_URL" --sdp-auth onprem --json >"$WORK/tenant.json" 2>"$WORK/admin.log"; then
  cat "$WORK/admin.log" >&2
  fail "the admin CLI could not add the tenant"
fi
WEBHOOK_SECRET=$(json_field webhook_secret <"$WORK/tenant.json") || fail "the admin CLI printed no webhook_secret"
ok "tenant $SLUG added"

say "a signed webhook for a new ticket, then the note in the sandbox"
SUBJECT="VPN drops every few minutes since the client update"
REQUEST_ID=$(sandbox_curl -sS --max-time 10 -X POST "$SDP_URL/_sandbox/requests" \
  -d "{\"subject\":\"$SUBJECT\",\"description\":\"Users in the branch office lose the VPN tunnel.\"}" |
  json_field id) || fail "the sandbox did not create a ticket"
NOW=$(date +%s)
BODY="{\"event\":\"request.created\",\"event_id\":\"images-$RUN_ID\",\"request\":{\"id\":\"$REQUEST_ID\",\"subject\":\"$SUBJECT\"}}"
SIGNATURE=$(printf '%s.%s' "$NOW" "$BODY" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -r | cut -d' ' -f1)
STATUS=$(curl -sS -o "$WORK/webhook.out" -w '%{http_code}' --max-time 10 -X POST \
  -H 'content-type: application/json' -H "x-webhook-timestamp: $NOW" -H "x-webhook-signature: sha256=$SIGNATURE" \
  --data-binary "$BODY" "$API_URL/v1/webhooks/servicedesk/$SLUG") || STATUS=000
[ "$STATUS" = 202 ] || fail "the api answered $STATUS to the signed webhook: $(head -c 200 "$WORK/webhook.out")"
ok "the api accepted the signed webhook (202)"
deadline=$((SECONDS + NOTE_WITHIN_SECONDS))
while :; do
  sandbox_curl -sS --max-time 5 "$SDP_URL/_sandbox/notes?request_id=$REQUEST_ID" >"$WORK/notes.json" || true
  if node -e 'const n=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.exit(Array.isArray(n)&&n.length>0?0:1)' \
    "$WORK/notes.json" 2>/dev/null; then
    break
  fi
  running "$(container worker)" || fail "the worker exited before the note was posted"
  [ "$SECONDS" -lt "$deadline" ] || fail "no note on request $REQUEST_ID after ${NOTE_WITHIN_SECONDS}s"
  sleep 1
done
SHOWN=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"))[0].show_to_requester)' "$WORK/notes.json")
[ "$SHOWN" = false ] || fail "the note on request $REQUEST_ID is shown to the requester"
ok "the worker posted an internal note on request $REQUEST_ID"

say "scripts/smoke-test.sh against the api container"
scripts/smoke-test.sh "$API_URL" "$SLUG" "$WEBHOOK_SECRET" || fail "scripts/smoke-test.sh"

# ---- 4. SIGTERM ---------------------------------------------------------------------------------

say "SIGTERM"
for target in api worker sandbox; do stop_with_sigterm "$target"; done
