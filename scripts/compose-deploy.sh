#!/usr/bin/env bash
# Sourced by scripts/test-compose.sh: deploying a new version under a probe, rolling back, backing up
# and restoring, each as docs/deploying.md gives the commands.

PROBE_MAX_TICKETS=600
PROBE_INTERVAL=0.25
SWEEP_WITHIN_SECONDS=120

# Until $WORK/probe-stop exists (the deploy is over), every PROBE_INTERVAL: a new sandbox ticket and
# its signed webhook through Caddy; writes "<request id> <status>" lines to $WORK/probe.out.
probe() {
  local id count=0
  while [ ! -f "$WORK/probe-stop" ] && [ "$count" -lt "$PROBE_MAX_TICKETS" ]; do
    id=$(new_ticket "Probe ticket during a deploy") || { echo "probe: the sandbox made no ticket" >&2; return 1; }
    printf '%s %s\n' "$id" "$(send_webhook "$id")" >>"$WORK/probe.out"
    count=$((count + 1))
    sleep "$PROBE_INTERVAL"
  done
}

# docs/deploying.md, "Deploying a new version": the new tag in .env.prod, migrate, then api and worker
# alone. The new version is this one's images under a second tag.
deploy_under_probe() {
  local target caddy_before caddy_after id status
  for target in migrate api worker; do next_image "$target"; done
  caddy_before=$(container_of caddy)
  : >"$WORK/probe.out"
  probe &
  PROBE_PID=$!
  sleep 2
  set_env AI_AGENTS_VERSION "$NEXT_VERSION"
  compose run --rm --no-deps migrate >"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log" >&2; fail "run --rm migrate"; }
  compose up -d --no-deps api worker >>"$WORK/deploy.log" 2>&1 || { cat "$WORK/deploy.log" >&2; fail "up -d --no-deps api worker"; }
  wait_healthy api
  wait_healthy worker
  sleep 3
  touch "$WORK/probe-stop"
  wait "$PROBE_PID" || fail "the probe stopped early"
  PROBE_PID=
  caddy_after=$(container_of caddy)
  [ "$caddy_before" = "$caddy_after" ] || fail "the deploy recreated Caddy"
  runs_version api "$NEXT_VERSION" || fail "the api does not run $NEXT_VERSION after the deploy"
  ok "deployed $NEXT_VERSION; Caddy kept running (same container); $(wc -l <"$WORK/probe.out") webhooks sent meanwhile"
  local answered=0 lost=0
  while read -r id status; do
    if [ "$status" = 202 ]; then answered=$((answered + 1)); else
      lost=$((lost + 1))
      echo "probe: request $id answered $status" >&2
    fi
  done <"$WORK/probe.out"
  ok "probe: $answered answered 202, $lost not"
  wait_all_noted "$(cut -d' ' -f1 "$WORK/probe.out")"
}

# A new version of TARGET: this version's image with a label more, so its image id differs.
next_image() {
  printf 'FROM %s\nLABEL org.opencontainers.image.version=%s\n' "$(app_image "$1")" "$NEXT_VERSION" >"$WORK/Containerfile.next"
  engine build -q -f "$WORK/Containerfile.next" -t "$(app_image "$1" "$NEXT_VERSION")" "$WORK" >/dev/null 2>"$WORK/next.log" ||
    { cat "$WORK/next.log" >&2; fail "could not make $(app_image "$1" "$NEXT_VERSION")"; }
}

# runs_version SERVICE TAG: the service's container runs that tag's image (compared by image id).
runs_version() {
  local running wanted
  running=$(engine inspect --format '{{.Image}}' "$(container_of "$1")" 2>/dev/null)
  wanted=$(engine image inspect --format '{{.Id}}' "$(app_image "$1" "$2")" 2>/dev/null)
  [ -n "$wanted" ] && [ "${running#sha256:}" = "${wanted#sha256:}" ]
}

# Every ticket gets its note: from its webhook, or from the reconcile sweep when the webhook was lost.
wait_all_noted() {
  local deadline=$((SECONDS + SWEEP_WITHIN_SECONDS)) pending id
  pending=$1
  while [ -n "$pending" ]; do
    local left=""
    for id in $pending; do has_note "$id" || left="$left $id"; done
    pending=$(echo "$left" | xargs)
    [ -z "$pending" ] && break
    [ "$SECONDS" -lt "$deadline" ] || fail "no note after ${SWEEP_WITHIN_SECONDS}s on requests: $pending"
    sleep 3
  done
  ok "every probe ticket has its internal note"
}

# docs/deploying.md, "Rolling back": to a tag that is not there, up fails and the running version
# stays; to the previous tag, it runs.
rollback_checks() {
  local absent=absent-$RUN_ID
  set_env AI_AGENTS_VERSION "$absent"
  if compose up -d --no-deps api worker >"$WORK/rollback.log" 2>&1; then
    fail "up -d with AI_AGENTS_VERSION=$absent (no such image) exited 0"
  fi
  engine image inspect "$(app_image api "$absent")" >/dev/null 2>&1 && fail "up built $(app_image api "$absent")"
  wait_healthy api
  runs_version api "$NEXT_VERSION" || fail "the failed rollback changed the running api"
  ok "rolling back to an absent tag fails ($(tail -n 1 "$WORK/rollback.log" | cut -c1-120)); the api keeps running"
  set_env AI_AGENTS_VERSION "$VERSION"
  compose up -d --no-deps api worker >"$WORK/rollback.log" 2>&1 || { cat "$WORK/rollback.log" >&2; fail "rollback to $VERSION"; }
  wait_healthy api
  wait_healthy worker
  runs_version api "$VERSION" || fail "the api does not run $VERSION after the rollback"
  ok "rolled back to $VERSION"
}

# docs/deploying.md, "Backup and restore": scripts/backup.sh, a fresh stack (down -v removes the
# volumes: an empty Postgres, Redis and Caddy), scripts/restore.sh.
backup_and_restore() {
  local scripts_env=(env "COMPOSE=$(compose_for_scripts)" "ENV_FILE=$ENV_FILE" "TEST_CA_DIR=$TEST_CA_DIR")
  "${scripts_env[@]}" scripts/backup.sh "$WORK/backups/ai-agents.dump" || fail "scripts/backup.sh"
  [ "$(stat -c %a "$WORK/backups/ai-agents.dump")" = 600 ] || fail "the backup file is readable by others"
  # A real portal keeps numbering its requests; the sandbox restarted below starts at 100001 again,
  # which the restored database knows as already noted. Remember where it got to.
  local last_id
  last_id=$(new_ticket "The last ticket before the backup") || fail "sandbox ticket"
  engine rm -f "$SANDBOX" >/dev/null
  compose down -v --timeout 30 >"$WORK/down.log" 2>&1 || { cat "$WORK/down.log" >&2; fail "down -v"; }
  ok "backed up; stack and volumes removed"
  "${scripts_env[@]}" scripts/restore.sh "$WORK/backups/ai-agents.dump" >"$WORK/restore.log" 2>&1 ||
    { cat "$WORK/restore.log" >&2; fail "scripts/restore.sh"; }
  for service in postgres redis api worker caddy; do wait_healthy "$service"; done
  start_sandbox
  while [ "$(new_ticket "Numbering catches up with the portal before the restore")" -le "$last_id" ]; do :; done
  ok "restored into a fresh stack (scripts/restore.sh)"
}
