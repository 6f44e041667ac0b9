#!/usr/bin/env bash
# Sourced by scripts/test-compose.sh: its steps, each a function. Needs the functions and variables of
# scripts/compose-tools.sh and test-compose.sh.

app_image() { printf '%s/%s:%s' "$IMAGE_REPOSITORY" "$1" "${2:-$VERSION}"; }

# The images `npm run test:images` kept (KEEP_IMAGES=1, same tag), else built as docs/deploying.md
# says, with docker-compose.build.yml (the sandbox image too: the test's fake ServiceDesk Plus).
app_images() {
  local target missing=0
  for target in migrate api worker sandbox; do
    engine image inspect "$(app_image "$target")" >/dev/null 2>&1 || missing=1
  done
  if [ "$missing" = 1 ]; then
    say "building $(app_image api) and the others (docker-compose.build.yml)"
    AI_AGENTS_VERSION=$VERSION "${COMPOSE_COMMAND[@]}" -f "$ROOT/docker-compose.build.yml" build >"$WORK/build.log" 2>&1 ||
      { tail -n 40 "$WORK/build.log" >&2; fail "docker compose -f docker-compose.build.yml build"; }
    engine build --format docker --target sandbox -t "$(app_image sandbox)" -f docker/Dockerfile . >>"$WORK/build.log" 2>&1 ||
      { tail -n 40 "$WORK/build.log" >&2; fail "building the sandbox image"; }
  fi
  ok "$(app_image api), $(app_image worker), $(app_image migrate), $(app_image sandbox)"
}

free_ports() {
  node -e '
    const net = require("node:net");
    const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((r) => s.listen(0, "127.0.0.1", () => r(s.address().port)))))
      .then((ports) => { console.log(ports.join(" ")); servers.forEach((s) => s.close()); });' "$1"
}

# .env.prod as docs/deploying.md has the operator fill it in (.env.prod.example: how to generate each).
write_env_file() {
  read -r HTTP_PORT HTTPS_PORT SDP_PORT < <(free_ports 3)
  TEST_CA_DIR=$WORK/ca
  make_private_ca
  umask 077
  cat >"$ENV_FILE" <<ENV
PUBLIC_HOSTNAME=$PUBLIC_HOSTNAME
ACME_EMAIL=ops@compose.test
CADDY_GLOBAL_OPTIONS=
HTTP_PUBLISH=127.0.0.1:$HTTP_PORT
HTTPS_PUBLISH=127.0.0.1:$HTTPS_PORT
POSTGRES_PASSWORD=$(openssl rand -hex 32)
APP_DB_PASSWORD=$(openssl rand -hex 32)
REDIS_PASSWORD=$(openssl rand -hex 32)
ENCRYPTION_KEY=$(openssl rand -base64 32)
OPENAI_API_KEY=sandbox
OPENAI_BASE_URL=http://sandbox:8082/v1
IMAGE_REPOSITORY=$IMAGE_REPOSITORY
AI_AGENTS_VERSION=$VERSION
WORKER_CONCURRENCY=4
RECONCILE_INTERVAL_SECONDS=10
TEST_CA_DIR=$TEST_CA_DIR
# The documented setting (docs/deploying.md, "A private certificate authority"); the file is mounted
# by test/compose/private-ca.yml.
EXTRA_CA_FILE=/run/test-ca/ca.pem
ENV
  umask 022
  ok "$ENV_FILE (mode 600), Caddy on 127.0.0.1:$HTTP_PORT and 127.0.0.1:$HTTPS_PORT"
}

# set_env NAME VALUE: changes one line of .env.prod, as an operator edits it.
set_env() { sed -i "s|^$1=.*|$1=$2|" "$ENV_FILE"; }

# A private certificate authority and the sandbox's certificate for the name `sandbox`, signed by it.
make_private_ca() {
  mkdir -p "$TEST_CA_DIR"
  (
    cd "$TEST_CA_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=ai-agents test private CA" \
      -keyout ca.key -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=sandbox" -keyout key.pem -out sandbox.csr
    printf 'subjectAltName=DNS:sandbox,IP:127.0.0.1\n' >san.ext
    openssl x509 -req -in sandbox.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out cert.pem
  ) >"$WORK/ca.log" 2>&1 || { cat "$WORK/ca.log" >&2; cannot_run "openssl could not make the private CA"; }
  rm -f "$TEST_CA_DIR/ca.key"
  # Read by uid 10001 in the containers; throwaway keys of this run.
  chmod 755 "$TEST_CA_DIR" && chmod 644 "$TEST_CA_DIR"/*.pem
}

health() { engine inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1" 2>/dev/null; }
container_of() { compose ps -q "$1" 2>/dev/null | head -n 1; }

wait_healthy() {
  local service=$1 deadline=$((SECONDS + HEALTHY_WITHIN_SECONDS)) id
  while :; do
    id=$(container_of "$service")
    [ -n "$id" ] && [ "$(health "$id")" = healthy ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || fail "$service not healthy after ${HEALTHY_WITHIN_SECONDS}s (${id:+$(health "$id")})"
    sleep 2
  done
}

# With no certificate (ACME cannot reach Let's Encrypt from here), the check fails and Caddy is not
# healthy, however long it has run.
caddy_health_without_certificate() {
  local id
  id=$(container_of caddy)
  [ -n "$id" ] || fail "caddy is not running"
  sleep 5
  if engine healthcheck run "$id" >/dev/null 2>&1; then fail "caddy's health check passed with no certificate"; fi
  [ "$(health "$id")" != healthy ] || fail "caddy reports healthy with no certificate"
  ok "caddy's health check fails while it has no certificate ($(health "$id"))"
}

start_sandbox() {
  engine rm -f "$SANDBOX" >/dev/null 2>&1 || true
  engine run -d --name "$SANDBOX" --network "${PROJECT}_egress" --network-alias sandbox \
    --read-only --tmpfs /tmp --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges \
    -p "127.0.0.1:$SDP_PORT:8081" -v "$TEST_CA_DIR:/tls:ro" \
    -e SANDBOX_HOST=0.0.0.0 -e SANDBOX_SDP_PORT=8081 -e SANDBOX_LLM_PORT=8082 \
    -e SANDBOX_TLS_CERT_FILE=/tls/cert.pem -e SANDBOX_TLS_KEY_FILE=/tls/key.pem \
    -e NODE_EXTRA_CA_CERTS=/tls/ca.pem "$(app_image sandbox)" >/dev/null 2>"$WORK/sandbox-run.log" ||
    { cat "$WORK/sandbox-run.log" >&2; fail "could not start the sandbox"; }
  for _ in $(seq 1 60); do
    sandbox_curl -sf --max-time 2 "https://127.0.0.1:$SDP_PORT/_sandbox/calls" >/dev/null 2>&1 && {
      ok "sandbox ServiceDesk Plus on https://sandbox:8081 (private CA)"
      return
    }
    sleep 1
  done
  engine logs --tail 20 "$SANDBOX" >&2
  fail "the sandbox did not answer"
}
sandbox_curl() { curl --cacert "$TEST_CA_DIR/ca.pem" "$@"; }

json_field() { node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);console.log(v)})' "$1"; }

# docs/deploying.md: the key on standard input (--stdin), never on the command line.
add_tenant() {
  SLUG=compose-$RUN_ID
  printf 'SDP_TECHNICIAN_KEY=sandbox-technician-key\n' |
    compose run --rm --no-deps -T api node apps/api/dist/admin/main.js tenant add --slug "$SLUG" \
      --name "Compose test $RUN_ID" --sdp-url https://sandbox:8081 --sdp-auth onprem --stdin --json \
      >"$WORK/tenant.json" 2>"$WORK/admin.log" || { cat "$WORK/admin.log" >&2; fail "tenant add"; }
  WEBHOOK_SECRET=$(json_field webhook_secret <"$WORK/tenant.json") || fail "tenant add printed no webhook_secret"
  ok "tenant $SLUG added"
}

new_ticket() {
  sandbox_curl -sS --max-time 10 -X POST "https://127.0.0.1:$SDP_PORT/_sandbox/requests" \
    -d "{\"subject\":\"$1\",\"description\":\"Reported during the compose test.\"}" | json_field id
}

# send_webhook REQUEST_ID: the HTTP status Caddy answered (000: none), over HTTPS to PUBLIC_HOSTNAME.
send_webhook() {
  local now body signature
  now=$(date +%s)
  body="{\"event\":\"request.created\",\"event_id\":\"compose-$RUN_ID-$1\",\"request\":{\"id\":\"$1\"}}"
  signature=$(printf '%s.%s' "$now" "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -r | cut -d' ' -f1)
  curl -s -o /dev/null -w '%{http_code}' --max-time 45 --cacert "$WORK/caddy-root.pem" \
    --resolve "$PUBLIC_HOSTNAME:$HTTPS_PORT:127.0.0.1" -X POST -H 'content-type: application/json' \
    -H "x-webhook-timestamp: $now" -H "x-webhook-signature: sha256=$signature" --data-binary "$body" \
    "https://$PUBLIC_HOSTNAME:$HTTPS_PORT/v1/webhooks/servicedesk/$SLUG" || true
}

has_note() {
  sandbox_curl -sS --max-time 5 "https://127.0.0.1:$SDP_PORT/_sandbox/notes?request_id=$1" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>{try{const n=JSON.parse(s);process.exit(Array.isArray(n)&&n.length>0&&n.every(x=>x.show_to_requester===false)?0:1)}catch{process.exit(1)}})'
}

# The root of Caddy's local CA (CADDY_GLOBAL_OPTIONS=local_certs), to verify the proxy's certificate.
fetch_caddy_root() {
  compose exec -T caddy cat /data/caddy/pki/authorities/local/root.crt >"$WORK/caddy-root.pem" ||
    fail "could not read Caddy's local root certificate"
}

check_note_after_webhook() {
  local id status deadline
  fetch_caddy_root
  id=$(new_ticket "$1") || fail "the sandbox did not create a ticket"
  status=$(send_webhook "$id")
  [ "$status" = 202 ] || fail "Caddy answered $status to a signed webhook for request $id"
  deadline=$((SECONDS + NOTE_WITHIN_SECONDS))
  until has_note "$id"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "no internal note on request $id after ${NOTE_WITHIN_SECONDS}s"
    sleep 1
  done
  ok "webhook through Caddy over HTTPS (202), internal note on request $id"
}
