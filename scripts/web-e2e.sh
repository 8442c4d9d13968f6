#!/usr/bin/env bash
# The browser journeys of web/tests/ against the real API (serving the built
# app from web/dist) and worker, on a fresh database with the demo data,
# in headless Chromium driven by playwright-core. Run by `make test` through
# `scripts/web.sh e2e`, which builds the app first. With arguments, runs
# that command against the same shop instead (`scripts/web.sh screenshots`).
#
# DATABASE_URL set: a fresh database beside it (its user needs CREATEDB).
# CHROMIUM: the browser binary (default /usr/bin/chromium, installed with
# apt-get when missing).
# Otherwise the private test cluster. E2E_KEEP=1 leaves the servers' logs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# CHROMIUM names another Chromium or Chrome binary (as on hosted CI runners).
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
scripts/chromium.sh

cargo build --quiet --bin api --bin mega-worker
bin=${CARGO_TARGET_DIR:-target}/debug

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start test)
  started_cluster=1
fi
export PGOPTIONS=--client-min-messages=warning
database=e2e_$(date +%s)_$$
psql "$DATABASE_URL" -qc "CREATE DATABASE $database"
url="${DATABASE_URL%/*}/$database"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
api_port=$(free_port)
worker_port=$(free_port)
work=$(mktemp -d)
mkdir -p "$work/mail" "$work/media"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || true
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop test; fi
  if [ -n "${E2E_KEEP:-}" ]; then echo "web-e2e: logs in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

export MEDIA_DIR=$work/media
DATABASE_URL=$url RUST_LOG=warn "$bin/api" migrate
DATABASE_URL=$url RUST_LOG=warn "$bin/api" seed

api_url=http://127.0.0.1:$api_port
worker_url=http://127.0.0.1:$worker_port
# The order page is seen to move through the steps; the warehouse takes
# long enough for the admin journey to cancel an order before it ships.
PORT=$worker_port PUBLIC_URL=$worker_url ECOMMERCE_API_URL=$api_url \
  MAIL_DIR=$work/mail WAREHOUSE_PROCESSING_TIME=10s SHIPPING_PROCESSING_TIME=1s \
  DELIVERY_PROCESSING_TIME=1s RUST_LOG=warn \
  "$bin/mega-worker" serve > "$work/worker.log" 2>&1 & pids+=($!)
DATABASE_URL=$url PORT=$api_port PUBLIC_URL=$api_url MEGA_WORKER_URL=$worker_url \
  WEB_DIR=web/dist AUTH_RATE_LIMIT_PER_MINUTE=10000 \
  MAINTENANCE_INTERVAL=off RUST_LOG=warn \
  "$bin/api" serve > "$work/api.log" 2>&1 & pids+=($!)

for _ in $(seq 1 150); do
  if PORT=$api_port "$bin/api" healthcheck 2>/dev/null; then break; fi
  sleep 0.2
done
PORT=$api_port "$bin/api" healthcheck

# With arguments: that command instead of the journeys, against the same
# shop (BASE_URL), e.g. the README's screenshots.
if [ "$#" -gt 0 ]; then
  BASE_URL=$api_url MAIL_DIR=$work/mail "$@"
elif ! BASE_URL=$api_url MAIL_DIR=$work/mail \
  node --test --test-concurrency=1 --test-reporter=spec web/tests/; then
  echo "web-e2e: FAILED; the end of the API's log:" >&2
  tail -40 "$work/api.log" >&2 || true
  false
fi
