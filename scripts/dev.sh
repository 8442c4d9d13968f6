#!/usr/bin/env bash
# `make dev`: PostgreSQL, migrations, demo data, the web app and the API on
# :8080 and the worker on :8081 with the whole fulfillment pipeline (outbox
# relay, local dispatcher, emails as files), in the foreground. Ctrl-C
# stops all of it.
#
# DATABASE_URL set: use that database. Otherwise: a private cluster under
# .local/postgres/dev, on port 54329. API_PORT and WORKER_PORT move the
# services, API_METRICS_PORT (9464) and WORKER_METRICS_PORT (9465) their
# metrics; any variable from api.env.example / worker.env.example can be
# set in the environment or in api.env / worker.env.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build --bin api --bin mega-worker
# The storefront and admin, served by the API from web/dist.
scripts/web.sh build
bin=${CARGO_TARGET_DIR:-target}/debug

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start dev)
  started_cluster=1
fi
export DATABASE_URL

api_port=${API_PORT:-8080}
worker_port=${WORKER_PORT:-8081}

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop dev; fi
  echo "gokart: stopped"
}
trap cleanup INT TERM EXIT

# Product photos (the demo ones are drawn by `seed`) are files here.
export MEDIA_DIR=${MEDIA_DIR:-$PWD/.local/media}
# Webhook endpoints may be receivers on this machine.
export WEBHOOK_ALLOWED_HOSTS=${WEBHOOK_ALLOWED_HOSTS:-localhost,127.0.0.1,::1}
"$bin/api" migrate
"$bin/api" seed

api_url=${PUBLIC_URL:-http://localhost:$api_port}
worker_url=http://localhost:$worker_port
# Emails land here as .eml files; the step times are short so an order is
# delivered within seconds. Each can be overridden from the environment.
export MAIL_DIR=${MAIL_DIR:-$PWD/.local/mail}
export WAREHOUSE_PROCESSING_TIME=${WAREHOUSE_PROCESSING_TIME:-2s}
export SHIPPING_PROCESSING_TIME=${SHIPPING_PROCESSING_TIME:-2s}
export DELIVERY_PROCESSING_TIME=${DELIVERY_PROCESSING_TIME:-2s}

api_metrics_port=${API_METRICS_PORT:-9464}
worker_metrics_port=${WORKER_METRICS_PORT:-9465}

PORT=$worker_port PUBLIC_URL=$worker_url ECOMMERCE_API_URL=$api_url \
  METRICS_PORT=$worker_metrics_port "$bin/mega-worker" serve & pids+=($!)
PORT=$api_port PUBLIC_URL=$api_url MEGA_WORKER_URL=$worker_url \
  METRICS_PORT=$api_metrics_port "$bin/api" serve & pids+=($!)

cat <<MSG
gokart: shop    http://localhost:$api_port   (admin: http://localhost:$api_port/admin)
gokart: API     http://localhost:$api_port/api/v1   (docs: http://localhost:$api_port/api/v1/docs/)
gokart: worker  http://localhost:$worker_port
gokart: metrics http://localhost:$api_metrics_port/metrics, http://localhost:$worker_metrics_port/metrics
gokart: database $DATABASE_URL
gokart: emails   $MAIL_DIR (one .eml file per email)
gokart: Ctrl-C stops everything
MSG

# Stop everything as soon as either service exits.
wait -n
