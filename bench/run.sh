#!/usr/bin/env bash
# Benchmarks on this machine, over loopback only, bounded in time:
#   bench/run.sh login     logins/s against the argon2id ceiling
#   bench/run.sh startup   API start-up time to ready, and idle memory
#   bench/run.sh catalog   detail, list and search latency at 100,000 products
#   bench/run.sh checkout  orders/s for one hot product and for spread products
#   bench/run.sh pipeline  orders/s from paid to delivered through the worker,
#                          with zero processing times, and that latency
#   bench/run.sh web       the web app's budget: first-load JavaScript (gzip)
#                          and the product page's largest contentful paint
# Builds release binaries, starts the private test cluster (unless
# DATABASE_URL is set) with a fresh `gokart_bench` database, starts the API
# on 127.0.0.1:18080 (and the worker on 127.0.0.1:18081 for `pipeline`),
# measures, and stops what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scenario=${1:-login}
seconds=${BENCH_SECONDS:-10}

# BENCH_BIN names a directory of already built binaries (api, mega-worker,
# gokart-bench), to compare two builds in one sitting; migrations are
# compiled into the api binary, so each build brings its own schema.
if [ -n "${BENCH_BIN:-}" ]; then
  bin=$BENCH_BIN
else
  cargo build --release --bin api --bin mega-worker --bin gokart-bench
  bin=${CARGO_TARGET_DIR:-target}/release
fi
# The API serves web/dist, read at start-up.
if [ "$scenario" = web ]; then scripts/web.sh build; fi

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start test)
  started_cluster=1
fi
export PGOPTIONS=--client-min-messages=warning
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS gokart_bench WITH (FORCE)" -c "CREATE DATABASE gokart_bench"
bench_url="${DATABASE_URL%/*}/gokart_bench"

api_pid=""
worker_pid=""
mail_dir=$(mktemp -d)
# The demo products' drawn photos, and nothing else.
MEDIA_DIR=$(mktemp -d)
export MEDIA_DIR
cleanup() {
  for pid in $api_pid $worker_pid; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$mail_dir" "$MEDIA_DIR"
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS gokart_bench WITH (FORCE)" >/dev/null || true
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop test; fi
}
trap cleanup EXIT

# The per-address limit exists to stop one client hammering logins, which is
# exactly what a benchmark does from 127.0.0.1.
# Only the pipeline scenario relays the outbox, to its own worker.
relay=false
if [ "$scenario" = pipeline ]; then
  relay=true
  PORT=18081 PUBLIC_URL=http://127.0.0.1:18081 ECOMMERCE_API_URL=http://127.0.0.1:18080 \
    WAREHOUSE_PROCESSING_TIME=0s SHIPPING_PROCESSING_TIME=0s DELIVERY_PROCESSING_TIME=0s \
    MAIL_DIR=$mail_dir RUST_LOG=warn "$bin/mega-worker" serve & worker_pid=$!
fi
DATABASE_URL=$bench_url PORT=18080 PUBLIC_URL=http://127.0.0.1:18080 RUST_LOG=warn \
  AUTH_RATE_LIMIT_PER_MINUTE=100000000 MAINTENANCE_INTERVAL=off \
  RELAY_ENABLED=$relay MEGA_WORKER_URL=http://127.0.0.1:18081 \
  "$bin/api" serve & api_pid=$!
for _ in $(seq 1 100); do
  if PORT=18080 "$bin/api" healthcheck 2>/dev/null; then break; fi
  sleep 0.1
done
PORT=18080 "$bin/api" healthcheck

case "$scenario" in
  login)
    ceiling=$("$bin/gokart-bench" argon2 --seconds "$seconds")
    echo "$ceiling"
    result=$("$bin/gokart-bench" login --seconds "$seconds")
    echo "$result"
    awk -v c="$ceiling" -v r="$result" 'BEGIN {
      split(c, a, ": "); split(a[2], ca, "/s"); split(r, b, ": "); split(b[2], ra, "/s");
      printf "login / argon2 ceiling = %.0f%%\n", 100 * ra[1] / ca[1] }'
    ;;
  catalog)
    DATABASE_URL=$bench_url RUST_LOG=warn "$bin/api" seed --synthetic-products "${BENCH_PRODUCTS:-100000}"
    psql "$bench_url" -qc "VACUUM ANALYZE products" -c "VACUUM ANALYZE product_variants"
    "$bin/gokart-bench" catalog --seconds "$seconds"
    ;;
  checkout)
    DATABASE_URL=$bench_url RUST_LOG=warn "$bin/api" seed
    "$bin/gokart-bench" checkout --hot --seconds "$seconds"
    "$bin/gokart-bench" checkout --seconds "$seconds"
    ;;
  pipeline)
    DATABASE_URL=$bench_url RUST_LOG=warn "$bin/api" seed
    "$bin/gokart-bench" pipeline --orders "${BENCH_ORDERS:-2000}" --concurrency "${BENCH_CONCURRENCY:-16}"
    echo "emails written: $(find "$mail_dir" -name '*.eml' | wc -l)"
    ;;
  startup)
    DATABASE_URL=$bench_url "$bin/gokart-bench" startup --binary "$bin/api"
    ;;
  web)
    DATABASE_URL=$bench_url RUST_LOG=warn "$bin/api" seed
    node web/bench/budget.mjs http://127.0.0.1:18080
    ;;
  *) echo "unknown scenario: $scenario" >&2; exit 2 ;;
esac
