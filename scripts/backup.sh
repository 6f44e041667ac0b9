#!/usr/bin/env bash
# Backs up the single-host stack (docs/deploying.md, "Backup and restore"): the Postgres database in
# pg_dump's custom format, taken from the running postgres container, written to a file of the
# operator's (mode 600: it holds every tenant's data and their encrypted credentials).
#
#   scripts/backup.sh backups/ai-agents-$(date -u +%Y%m%dT%H%M%SZ).dump
#
# Redis is not backed up: what it holds is either rebuilt (rate and fair-share meters) or re-found
# (a queued job whose ticket has no note yet is found again by the reconcile sweep, and the
# enhancements table keeps a ticket from being noted twice). ENCRYPTION_KEY, in .env.prod, is not in
# the dump: keep .env.prod with the backups, apart from them, or the stored credentials cannot be read.
#
# Environment: ENV_FILE (default .env.prod), COMPOSE (default "docker compose"),
# COMPOSE_PROJECT_NAME as Compose reads it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 1 ] || { echo "usage: $0 <output file>" >&2; exit 2; }
output=$1
read -r -a compose <<<"${COMPOSE:-docker compose}"
umask 077
mkdir -p "$(dirname "$output")"
# Custom format: compressed, and pg_restore can restore it whole or in part. -T: no terminal, so the
# binary dump reaches the file unchanged. It is a consistent snapshot taken while the stack runs.
"${compose[@]}" -f docker-compose.prod.yml --env-file "${ENV_FILE:-.env.prod}" exec -T postgres \
  pg_dump --format=custom --username=ai_agents_owner --dbname=ai_agents >"$output.partial"
mv "$output.partial" "$output"
echo "backup: $output ($(wc -c <"$output") bytes)"
