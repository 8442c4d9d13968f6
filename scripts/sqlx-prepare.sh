#!/usr/bin/env bash
# Refreshes .sqlx/, the cache that lets `query!` macros compile without a
# database. Applies every migration to a scratch database, compiles once
# against it with the cache directory set, and keeps what the macros wrote.
#   scripts/sqlx-prepare.sh           rewrite .sqlx/
#   scripts/sqlx-prepare.sh --check   fail if .sqlx/ is out of date
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start test)
  started_cluster=1
fi
export PGOPTIONS=--client-min-messages=warning
scratch=gokart_sqlx_prepare
admin_url=$DATABASE_URL
psql "$admin_url" -qc "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" -c "CREATE DATABASE $scratch" >/dev/null
scratch_url="${admin_url%/*}/$scratch"
for migration in migrations/*.sql; do
  psql "$scratch_url" -q -v ON_ERROR_STOP=1 -1 -f "$migration" >/dev/null
done

out=$(mktemp -d)
cleanup() {
  rm -rf "$out"
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop test; fi
}
trap cleanup EXIT
# Recompile our crates so every macro runs again and writes its query file.
cargo clean -p gokart-api -p gokart-mega-worker >/dev/null 2>&1 || true
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$scratch_url" \
  cargo check --workspace --all-targets --quiet
psql "$admin_url" -qc "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null

if [ "${1:-}" = "--check" ]; then
  mkdir -p .sqlx
  if ! diff -r "$out" .sqlx >/dev/null; then
    echo ".sqlx/ is out of date: run 'make sqlx-prepare' and commit the result" >&2
    exit 1
  fi
  echo ".sqlx/ is up to date"
else
  rm -rf .sqlx
  mkdir -p .sqlx
  cp -r "$out"/. .sqlx/
  echo ".sqlx/ refreshed ($(find .sqlx -name '*.json' | wc -l) queries)"
fi
