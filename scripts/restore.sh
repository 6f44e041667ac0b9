#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into the stack of this directory, e.g. a fresh one on a
# new host (docs/deploying.md, "Backup and restore"). Use the same ENCRYPTION_KEY (.env.prod) as the
# stack the backup came from, and the same release or a newer one (migrations are forward-only).
#
#   scripts/restore.sh backups/ai-agents-20261207T2100Z.dump
#
# Steps: start postgres and redis; stop api and worker, so nothing writes meanwhile; run migrate, which
# makes the schema and the application role on an empty database; replace every object with the
# backup's in one transaction (pg_restore --clean --single-transaction: an error leaves the database
# as it was); then `up -d`, which runs migrate again (a newer release's migrations) and starts the rest.
#
# Environment: ENV_FILE (default .env.prod), COMPOSE (default "docker compose"),
# COMPOSE_PROJECT_NAME as Compose reads it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 1 ] && [ -f "$1" ] || { echo "usage: $0 <backup file made by scripts/backup.sh>" >&2; exit 2; }
backup=$1
read -r -a compose_command <<<"${COMPOSE:-docker compose}"
compose() { "${compose_command[@]}" -f docker-compose.prod.yml --env-file "${ENV_FILE:-.env.prod}" "$@"; }

compose up -d --wait postgres redis
compose stop api worker
compose run --rm --no-deps migrate
compose exec -T postgres pg_restore --clean --if-exists --single-transaction --exit-on-error \
  --username=ai_agents_owner --dbname=ai_agents <"$backup"
compose up -d
echo "restore: $backup restored; the stack is starting (docker compose ps)"
