#!/usr/bin/env bash
# npm run test:compose: runs docker-compose.prod.yml for real, following docs/deploying.md step for
# step ("Docker Compose, single host"), on Docker or on Podman's Docker API with the docker compose v2
# client. Ports on 127.0.0.1 only; a compose project of its own (ai-agents-compose-<run id>), whose
# containers, networks and volumes it removes at the end, also on failure or Ctrl-C.
#
#   1. Tools: Podman and runc (apt-get), the compose v2 client (Debian's docker-compose package of the
#      next release, fetched with apt into .tools/compose/, nothing installed system-wide), a Podman
#      API service on a socket of its own, and a loop running the containers' health checks (Podman
#      runs them from systemd timers, and there is no systemd here).
#   2. Images: postgres, redis and caddy as present or pulled, else stand-ins built from Debian
#      packages under the official names (scripts/compose-standins.sh); the app images built by
#      `npm run test:images` (KEEP_IMAGES=1), else built with docker-compose.build.yml.
#   3. `up -d` with a fresh .env.prod; Caddy without a certificate is not healthy, and with one is;
#      a tenant (admin CLI, key on stdin); a signed webhook through Caddy over HTTPS; the note.
#   4. A new version (`run --rm --no-deps migrate`, `up -d --no-deps api worker`) while a probe sends
#      a signed webhook every 250 ms: Caddy is not recreated, every webhook is answered 202 or its
#      ticket is still noted (the reconcile sweep), every ticket is noted.
#   5. Rollback to a tag that is not there fails and leaves the stack running; to the previous one works.
#   6. scripts/backup.sh, `down -v`, scripts/restore.sh into the fresh stack, a webhook → a note.
#
# Exit 0: all passed. 1: a check failed. 2: cannot run here (never a silent pass).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STARTED=$SECONDS
HEALTHY_WITHIN_SECONDS=180
NOTE_WITHIN_SECONDS=60

say() { printf '\n== test:compose: %s (%ss)\n' "$*" "$((SECONDS - STARTED))"; }
ok() { printf 'ok    %s\n' "$*"; }
cannot_run() {
  printf '\ntest:compose CANNOT RUN: %s\n' "$*" >&2
  exit 2
}
fail() {
  printf '\ntest:compose FAILED: %s\n' "$*" >&2
  compose ps -a >&2 2>&1 || true
  compose logs --tail 30 >&2 2>&1 || true
  exit 1
}

RUN_ID=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
PROJECT=ai-agents-compose-$RUN_ID
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo local)
VERSION=${AI_AGENTS_VERSION:-test-$COMMIT}
NEXT_VERSION=$VERSION-next-$RUN_ID
IMAGE_REPOSITORY=${IMAGE_REPOSITORY:-ai-agents}
# Compose takes a variable of the shell over the same one in --env-file: the .env.prod this run
# writes and edits must be the only source, as on an operator's host.
unset AI_AGENTS_VERSION
PUBLIC_HOSTNAME=ai-agents.compose.test
WORK=$(mktemp -d -t ai-agents-compose.XXXXXX)
chmod 700 "$WORK"
ENV_FILE=$WORK/.env.prod
SANDBOX=$PROJECT-sandbox
SERVICE_PID=
HEALTH_PID=
PROBE_PID=

. "$ROOT/scripts/compose-tools.sh"
. "$ROOT/scripts/compose-standins.sh"
. "$ROOT/scripts/compose-steps.sh"
. "$ROOT/scripts/compose-deploy.sh"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  say "cleaning up"
  [ -z "$PROBE_PID" ] || kill "$PROBE_PID" 2>/dev/null
  engine rm -f "$SANDBOX" >/dev/null 2>&1
  [ -z "${COMPOSE_COMMAND:-}" ] || compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1
  engine rmi "$(app_image api "$NEXT_VERSION")" "$(app_image worker "$NEXT_VERSION")" \
    "$(app_image migrate "$NEXT_VERSION")" >/dev/null 2>&1
  # The app images (kept by npm run test:images or built here) go too, unless KEEP_IMAGES=1; the
  # stand-ins stay cached in the store under .tools/, as test:images keeps its Node stand-in.
  [ "${KEEP_IMAGES:-}" = 1 ] || engine rmi "$(app_image api)" "$(app_image worker)" "$(app_image migrate)" \
    "$(app_image sandbox)" >/dev/null 2>&1
  [ -z "$HEALTH_PID" ] || kill "$HEALTH_PID" 2>/dev/null
  [ -z "$SERVICE_PID" ] || kill "$SERVICE_PID" 2>/dev/null
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "tools"
ensure_engine
ensure_compose_client
start_engine_api
say "images"
standin_images
app_images

say "1. secrets, up -d (docs/deploying.md)"
write_env_file
compose up -d >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; fail "docker compose up -d"; }
for service in postgres redis api worker; do wait_healthy "$service"; done
[ "$(compose ps -a --format '{{.ExitCode}}' migrate)" = 0 ] || fail "migrate did not exit 0"
ok "postgres, redis, api and worker healthy; migrate exited 0"

say "2. Caddy: not healthy without a certificate, healthy once it serves TLS for $PUBLIC_HOSTNAME"
caddy_health_without_certificate
set_env CADDY_GLOBAL_OPTIONS local_certs
compose up -d caddy >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; fail "up -d caddy"; }
wait_healthy caddy
ok "caddy healthy with local_certs"

say "3. sandbox ServiceDesk Plus, tenant, webhook through Caddy over HTTPS, note"
start_sandbox
add_tenant
check_note_after_webhook "VPN drops every few minutes"

say "4. deploying $NEXT_VERSION while a probe sends webhooks"
deploy_under_probe

say "5. rollback"
rollback_checks

say "6. backup, a fresh stack, restore"
backup_and_restore
# The restored tenant: its webhook secret is accepted and its ServiceDesk Plus key decrypts.
check_note_after_webhook "Printer queue stuck after restore"

say "passed"
