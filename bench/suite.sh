#!/usr/bin/env bash
# `make bench` / `make bench-quick`: every hot path against its ceiling,
# measured in one run on this machine, over loopback only.
#
#   bench/suite.sh full    15 s per measurement (default)
#   bench/suite.sh quick   4 s per measurement
#
# Builds release binaries; starts PostgreSQL the way `make dev` does (its
# private cluster, durable settings) unless DATABASE_URL is set, into a
# fresh `gokart_bench` database; seeds the demo data, 100,000 synthetic
# products and 2,000 users; starts the API (:18080) and the worker (:18081);
# measures the ceilings (pgbench -M prepared, raw argon2id, a bare axum
# handler) and the scenarios; prints a Markdown table and writes it, with a
# PNG chart (matplotlib, from PyPI), to bench/results/local/, which git
# ignores: `make bench-publish` (bench/publish.sh) copies a run into
# bench/results/ when it is meant to be committed. Load comes from wrk
# (Debian package, installed if missing) and from gokart-bench for the
# scenarios that need a session.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode=${1:-full}
case "$mode" in
  full) seconds=${BENCH_SECONDS:-15} ;;
  quick) seconds=${BENCH_SECONDS:-4} ;;
  *) echo "usage: bench/suite.sh [full|quick]" >&2; exit 2 ;;
esac
products=${BENCH_PRODUCTS:-100000}
concurrency=16
# The API's PostgreSQL pool (DATABASE_MAX_CONNECTIONS): at most this many of
# its transactions run at once, so the checkout ceiling runs as many clients.
pool=10
wrk_version=4.1.0

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk $wrk_version (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo=sudo; fi
  $sudo apt-get install -y --no-install-recommends "wrk=$wrk_version*" >/dev/null
fi
wrk --version 2>&1 | grep -q "$wrk_version" || echo "bench: note: wrk is not $wrk_version" >&2

# The browser the web app's budget is measured in.
scripts/chromium.sh

cargo build --release --bin api --bin mega-worker --bin gokart-bench
bin=${CARGO_TARGET_DIR:-target}/release
# The web app, which the API serves from web/dist.
scripts/web.sh build

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start dev)
  started_cluster=1
fi
export PGOPTIONS=--client-min-messages=warning
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS gokart_bench WITH (FORCE)" -c "CREATE DATABASE gokart_bench"
db="${DATABASE_URL%/*}/gokart_bench"

work=$(mktemp -d)
# The demo products' drawn photos.
export MEDIA_DIR=$work/media
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS gokart_bench WITH (FORCE)" >/dev/null 2>&1 || true
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop dev; fi
}
trap cleanup EXIT

echo "bench: seeding $products products"
DATABASE_URL=$db RUST_LOG=warn "$bin/api" migrate
DATABASE_URL=$db RUST_LOG=warn "$bin/api" seed --synthetic-products "$products"
# 2,000 shoppers sharing one password hash (hashing each would time argon2).
psql "$db" -qc "INSERT INTO users (id, name, email, password_hash)
  SELECT gen_random_uuid(), 'Shopper ' || n, 'shopper-' || n || '@bench.test',
         (SELECT password_hash FROM users WHERE role = 'admin' LIMIT 1)
  FROM generate_series(1, 2000) AS n ON CONFLICT DO NOTHING"
psql "$db" -q -f bench/sql/setup.sql
psql "$db" -qc "VACUUM ANALYZE"
psql "$db" -Atc "SELECT id FROM bench_product_ids ORDER BY n LIMIT 5000" > "$work/ids.txt"
psql "$db" -Atc "SELECT slug FROM bench_category_ids ORDER BY n" > "$work/slugs.txt"
categories=$(wc -l < "$work/slugs.txt")
synchronous_commit=$(psql "$db" -Atc "SHOW synchronous_commit")

results="$work/results.tsv"
# name, rate, p50 ms, p99 ms, errors, ceiling name, ceiling rate, API RSS
# right after the scenario (MiB)
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" "$(rss_mib "$api_pid" VmRSS)" >> "$results"
}

# pgbench: transactions per second of a script, prepared statements, 16
# clients (or $2), with any further variables (-D name=value) after that.
pgbench_tps() {
  local script=$1 clients=${2:-$concurrency}
  shift; shift || true
  local tps
  tps=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" \
    -D "products=$(wc -l < "$work/ids.txt")" -D "categories=$categories" "$@" \
    -f "bench/sql/$script.sql" "$db" 2>"$work/pgbench.err" |
    awk '/^tps = / { printf "%.1f", $3 }')
  # A script that fails reports no rate: say why rather than print a blank.
  if [ -z "$tps" ]; then
    echo "bench: pgbench $script failed:" >&2
    tail -n 20 "$work/pgbench.err" >&2
    return 1
  fi
  printf '%s' "$tps"
}

# wrk against a path (or the catalog script): "rate p50 p99 errors".
# Requests say they take gzip, as browsers do (PLAIN=1: as a client that
# does not).
wrk_run() {
  local url=$1 scenario=${2:-}
  local args=(-t2 -c"$concurrency" -d"${seconds}s" --latency)
  if [ -z "${PLAIN:-}" ]; then args+=(-H "Accept-Encoding: gzip, deflate, br"); fi
  if [ -n "$scenario" ]; then args+=(-s bench/wrk/catalog.lua); fi
  SCENARIO=$scenario BENCH_DATA=$work wrk "${args[@]}" "$url" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0;
                     if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
    /Requests\/sec:/ { rate = $2 }
    /Non-2xx or 3xx responses:/ { errors += $5 }
    /Socket errors:/ { errors += $4 + $6 + $8 + $10 }
    END { printf "%.1f %.2f %.2f %d", rate, p50, p99, errors }'
}

# A gokart-bench report line: "rate p50 p99 errors".
bench_line() {
  sed -n 's/^[^:]*: \([0-9.]*\)\/s  p50 \([0-9.]*\) ms  p99 \([0-9.]*\) ms  errors \([0-9]*\).*/\1 \2 \3 \4/p' | tail -1
}

rss_mib() { awk '/^'"$2"':/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

echo "bench: ceilings ($seconds s each)"
ceiling_by_id=$(pgbench_tps product_by_id)
ceiling_list=$(pgbench_tps category_list)
ceiling_search=$(pgbench_tps search)
ceiling_hot=$(pgbench_tps hot_row)
# Undo the hot-row ceiling's decrements, and clean up after its updates so
# the scenarios see the same tidy tables the ceilings saw.
psql "$db" -qc "UPDATE product_variants SET stock_quantity = 1000000000
  WHERE product_id = (SELECT id FROM bench_product_ids WHERE n = 1)" \
  -c "VACUUM ANALYZE products" -c "VACUUM ANALYZE product_variants"
# The checkout transaction's own statements (bench/sql/checkout.sql), one
# hot variant and spread over 100, as many at once as the API's pool
# allows; then their orders, carts and queued work are removed.
ceiling_checkout_hot=$(pgbench_tps checkout "$pool" -D spread=1)
psql "$db" -qc "VACUUM product_variants"
ceiling_checkout_spread=$(pgbench_tps checkout "$pool" -D spread=100)
psql "$db" -qc "DELETE FROM orders WHERE user_id IN (SELECT user_id FROM bench_customers)" \
  -c "DELETE FROM carts WHERE user_id IN (SELECT user_id FROM bench_customers)" \
  -c "DELETE FROM outbox WHERE sent_at IS NULL" \
  -c "VACUUM ANALYZE product_variants" -c "VACUUM ANALYZE orders" -c "VACUUM ANALYZE order_items" \
  -c "VACUUM ANALYZE order_events" -c "VACUUM ANALYZE outbox" -c "VACUUM ANALYZE carts" -c "VACUUM ANALYZE cart_items"
ceiling_argon2=$("$bin/gokart-bench" argon2 --seconds "$seconds" | sed -n 's/.*: \([0-9.]*\)\/s.*/\1/p')
"$bin/gokart-bench" hello --port 18099 & pids+=($!)
sleep 0.5
read -r ceiling_hello _ <<< "$(wrk_run http://127.0.0.1:18099/)"

echo "bench: start-up"
startup=$(DATABASE_URL=$db "$bin/gokart-bench" startup --binary "$bin/api" --port 18090)
echo "$startup"

PORT=18081 PUBLIC_URL=http://127.0.0.1:18081 ECOMMERCE_API_URL=http://127.0.0.1:18080 \
  WAREHOUSE_PROCESSING_TIME=0s SHIPPING_PROCESSING_TIME=0s DELIVERY_PROCESSING_TIME=0s \
  MAIL_DIR="$work/mail" RUST_LOG=warn "$bin/mega-worker" serve & worker_pid=$!
pids+=("$worker_pid")
# The API; relaying the outbox only when asked, so that the pipeline is
# measured on its own rather than as a load on every other scenario.
start_api() {
  DATABASE_URL=$db PORT=18080 PUBLIC_URL=http://127.0.0.1:18080 RUST_LOG=warn \
    AUTH_RATE_LIMIT_PER_MINUTE=100000000 MAINTENANCE_INTERVAL=off DATABASE_MAX_CONNECTIONS=$pool \
    RELAY_ENABLED=$1 MEGA_WORKER_URL=http://127.0.0.1:18081 "$bin/api" serve & api_pid=$!
  pids+=("$api_pid")
  for _ in $(seq 1 100); do PORT=18080 "$bin/api" healthcheck 2>/dev/null && break; sleep 0.1; done
}
# Waits (up to 5 minutes) until the API on port $1 reports its search index
# ready and its product cache following the catalog.
until_indexed() {
  for _ in $(seq 1 6000); do
    if curl -fs "http://127.0.0.1:$1/readyz" | grep '"search":"ready"' | grep -q '"following"'; then
      return
    fi
    sleep 0.05
  done
}
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
started=$EPOCHREALTIME
start_api false
until_indexed 18080
index_build=$(seconds_since "$started")
echo "bench: start-up to search index ready: $index_build s"
sleep 1
api_idle=$(rss_mib "$api_pid" VmRSS)
worker_idle=$(rss_mib "$worker_pid" VmRSS)

echo "bench: scenarios ($seconds s each)"
# Product pages and list pages are answered from the product cache: each is
# measured after three seconds of the same load, so that the figure is the
# steady state a shop serves in (every page read once already), as the
# pgbench ceilings run on warm buffers. They are held to the bare handler,
# the ceiling of anything served from memory; what PostgreSQL alone does
# with the same reads is in the line below the table. List pages are kept
# gzipped too and sent so to clients that take it, as browsers do.
warm_up() {
  SCENARIO=$2 BENCH_DATA=$work wrk -t2 -c"$concurrency" -d3s -s bench/wrk/catalog.lua "$1" > /dev/null
}
warm_up http://127.0.0.1:18080 detail
read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 detail)"
record "product detail" "$r" "$p50" "$p99" "$e" "bare axum hello" "$ceiling_hello"
warm_up http://127.0.0.1:18080 list
read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 list)"
record "product list (category, by price)" "$r" "$p50" "$p99" "$e" "bare axum hello" "$ceiling_hello"
# The same pages to a client that does not take gzip: four times the bytes.
read -r r p50 p99 e <<< "$(PLAIN=1 wrk_run http://127.0.0.1:18080 list)"
record "product list, without gzip" "$r" "$p50" "$p99" "$e" "bare axum hello" "$ceiling_hello"
# Search: PostgreSQL's (the fallback, on an instance without the index)
# first, as the ceiling the index is measured against.
DATABASE_URL=$db PORT=18082 PUBLIC_URL=http://127.0.0.1:18082 RUST_LOG=warn \
  MAINTENANCE_INTERVAL=off RELAY_ENABLED=false SEARCH_ENGINE=false "$bin/api" serve & sql_pid=$!
pids+=("$sql_pid")
for _ in $(seq 1 100); do PORT=18082 "$bin/api" healthcheck 2>/dev/null && break; sleep 0.1; done
sleep 1
sql_idle=$(rss_mib "$sql_pid" VmRSS)
read -r sql_rate p50 p99 e <<< "$(wrk_run http://127.0.0.1:18082 search)"
record "search, PostgreSQL (fallback)" "$sql_rate" "$p50" "$p99" "$e" "pgbench search + count" "$ceiling_search"
kill -TERM "$sql_pid"; wait "$sql_pid" || true
read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 search)"
record "search, index" "$r" "$p50" "$p99" "$e" "search, PostgreSQL" "$sql_rate"
read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 facets)"
record "search + 4 facets, index" "$r" "$p50" "$p99" "$e" "search, PostgreSQL" "$sql_rate"
read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 suggest)"
record "suggestions, index" "$r" "$p50" "$p99" "$e" "search, PostgreSQL" "$sql_rate"
# Searches run on the blocking pool: product pages keep their pace while
# the index is kept busy.
read -r detail_alone _ <<< "$(wrk_run http://127.0.0.1:18080 detail)"
wrk_run http://127.0.0.1:18080 search > "$work/search-load.txt" &
load_pid=$!
read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 detail)"
wait "$load_pid"
load_rate=$(cut -d" " -f1 "$work/search-load.txt")
record "product detail beside $load_rate searches/s" "$r" "$p50" "$p99" "$e" "product detail alone" "$detail_alone"

# Freshness: milliseconds from a committed change (psql, connection and
# commit included) until the API shows it; ten of each, median and worst.
# A product renamed, found by search; a product page held in the cache,
# its stock changed as a sale changes it.
shows_after() { # SQL, URL, text the response must then hold
  local started=$EPOCHREALTIME
  psql "$db" -qc "$1"
  for _ in $(seq 1 1000); do
    if curl -fs "$2" | grep -q "$3"; then
      awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'
      return
    fi
    sleep 0.005
  done
  echo 99999
}
median_worst() { sort -n | awk '{ v[NR] = $1 } END { printf "median %d ms, worst %d ms", v[int((NR + 1) / 2)], v[NR] }'; }
probe=$(psql "$db" -Atc "SELECT id FROM bench_product_ids b JOIN products p USING (id)
  WHERE (SELECT count(*) FROM product_variants v WHERE v.product_id = p.id) = 1 ORDER BY n LIMIT 1")
fresh_search=$(for i in $(seq 1 10); do
  shows_after "UPDATE products SET name = 'Zqxprobe$i Lamp' WHERE id = '$probe'" \
    "http://127.0.0.1:18080/api/v1/products?q=zqxprobe$i" "Zqxprobe$i Lamp"
done | median_worst)
fresh_stock=$(for i in $(seq 1 10); do
  curl -fs "http://127.0.0.1:18080/api/v1/products/$probe" > /dev/null
  shows_after "UPDATE product_variants SET stock_quantity = $((777000 + i)) WHERE product_id = '$probe'" \
    "http://127.0.0.1:18080/api/v1/products/$probe" "\"stock_quantity\":$((777000 + i)),"
done | median_worst)
echo "bench: a rename found by search: $fresh_search; a sale on a cached product page: $fresh_stock"
read -r r p50 p99 e <<< "$("$bin/gokart-bench" cart --seconds "$seconds" | bench_line)"
record "cart add" "$r" "$p50" "$p99" "$e" "bare axum hello" "$ceiling_hello"
read -r r p50 p99 e <<< "$("$bin/gokart-bench" login --seconds "$seconds" | bench_line)"
record "login" "$r" "$p50" "$p99" "$e" "raw argon2id, all cores" "$ceiling_argon2"
read -r r p50 p99 e <<< "$("$bin/gokart-bench" checkout --hot --seconds "$seconds" | bench_line)"
record "checkout, one hot product" "$r" "$p50" "$p99" "$e" "pgbench checkout statements, hot" "$ceiling_checkout_hot"
record "checkout, one hot product (physical limit)" "$r" "$p50" "$p99" "$e" "pgbench hot-row decrement" "$ceiling_hot"
read -r r p50 p99 e <<< "$("$bin/gokart-bench" checkout --seconds "$seconds" | bench_line)"
record "checkout, spread products" "$r" "$p50" "$p99" "$e" "pgbench checkout statements, spread" "$ceiling_checkout_spread"
# The pipeline: an API that relays, with the checkouts' queued steps
# dropped so that only this scenario's orders go through the worker.
api_peak=$(rss_mib "$api_pid" VmHWM)
kill -TERM "$api_pid"
wait "$api_pid" || true
psql "$db" -qc "DELETE FROM outbox WHERE sent_at IS NULL"
start_api true
orders=$(awk -v s="$seconds" 'BEGIN { print (s < 10 ? 500 : 2000) }')
read -r r p50 p99 e <<< "$("$bin/gokart-bench" pipeline --orders "$orders" | bench_line)"
record "pipeline, paid to delivered" "$r" "$p50" "$p99" "$e" "target 200/s" "200"
api_peak=$(awk -v a="$api_peak" -v b="$(rss_mib "$api_pid" VmHWM)" 'BEGIN { print (a > b ? a : b) }')
worker_peak=$(rss_mib "$worker_pid" VmHWM)

# Product import: a file of 100,000 rows (25,000 new products in four
# sizes) uploaded and written, then the same file again, which finds
# nothing to change. Seconds from upload to done, and the API's memory.
echo "bench: product import"
csv=$work/import.csv
awk 'BEGIN {
  print "name,description,brand,category,option1_name,option1_value,sku,price,compare_at_price,stock,weight_grams,image_urls"
  split("S M L XL", sizes, " ")
  for (p = 0; p < 25000; p++) for (s = 1; s <= 4; s++)
    printf "Import Tee %d,A soft cotton tee,Benchwear,fitness,Size,%s,IMP-%d-%s,1500,1900,4,200,http://127.0.0.1:18080/media/import-%d.jpg\n", p, sizes[s], p, sizes[s], p
}' > "$csv"
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
token=$(curl -fs -H 'content-type: application/json' \
  -d '{"email": "admin@example.com", "password": "supersecretpassword"}' \
  http://127.0.0.1:18080/api/v1/auth/login | json_field access_token)
import_csv() { # prints the seconds from upload to done, and the report's counts
  local started=$EPOCHREALTIME id report
  id=$(curl -fs -H "authorization: Bearer $token" -H 'content-type: text/csv' --data-binary @"$csv" \
    http://127.0.0.1:18080/api/v1/admin/imports | json_field id)
  for _ in $(seq 1 3000); do
    report=$(curl -fs -H "authorization: Bearer $token" "http://127.0.0.1:18080/api/v1/admin/imports/$id")
    case $report in *'"status":"done"'*|*'"status":"failed"'*) break ;; esac
    sleep 0.2
  done
  echo "$(seconds_since "$started") s ($(echo "$report" | import_summary))"
}
import_summary() {
  python3 -c 'import json, sys
r = json.load(sys.stdin)
print("%s: %d products and %d variants created, %d variants changed, %d rows failed" % (
    r["status"], r["products_created"], r["variants_created"], r["variants_updated"], r["rows_failed"]))'
}
import_rss=$(rss_mib "$api_pid" VmRSS)
import_first=$(import_csv)
import_again=$(import_csv)
import_line="Product import of 100,000 rows: $import_first; the same file again: $import_again. API RSS $import_rss MiB before, $(rss_mib "$api_pid" VmRSS) MiB after, peak $(rss_mib "$api_pid" VmHWM) MiB."
echo "bench: $import_line"
api_peak=$(awk -v a="$api_peak" -v b="$(rss_mib "$api_pid" VmHWM)" 'BEGIN { print (a > b ? a : b) }')

# A million products (full runs only): the index's build time, memory and
# search latency at that size.
million=""
if [ "$mode" = full ]; then
  echo "bench: seeding to 1,000,000 products"
  kill -TERM "$api_pid"; wait "$api_pid" || true
  DATABASE_URL=$db RUST_LOG=warn "$bin/api" seed --no-photos --synthetic-products $((1000000 - products))
  psql "$db" -qc "VACUUM ANALYZE products" -c "VACUUM ANALYZE product_variants"
  started=$EPOCHREALTIME
  start_api false
  until_indexed 18080
  build=$(seconds_since "$started")
  sleep 1
  rss=$(rss_mib "$api_pid" VmRSS)
  read -r r p50 p99 e <<< "$(wrk_run http://127.0.0.1:18080 search)"
  read -r sr _ sp99 se <<< "$(wrk_run http://127.0.0.1:18080 suggest)"
  million="At 1,000,000 products: index ready $build s after start-up, API RSS $rss MiB; search $r/s, p50 $p50 ms, p99 $p99 ms ($e errors); suggestions $sr/s, p99 $sp99 ms ($se errors)."
  echo "bench: $million"
fi

# The web app's budget: first-load JavaScript and the product page's LCP.
echo "bench: web app"
web_budget=$(node web/bench/budget.mjs http://127.0.0.1:18080)
echo "$web_budget"

# Local runs stay out of git; bench/publish.sh publishes one deliberately.
dir=bench/results/local
mkdir -p "$dir"
stamp=$(date -u +%Y-%m-%dT%H-%M-%SZ)
out="$dir/$stamp-$mode.md"
{
  echo "# GoKart benchmark, $mode, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); PostgreSQL $(psql "$db" -Atc 'SHOW server_version')" \
    "with synchronous_commit=$synchronous_commit; $products products; $concurrency connections; $seconds s per measurement."
  echo
  echo "| scenario | rate | p50 | p99 | errors | ceiling | ceiling rate | ratio | API RSS after |"
  echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
  awk -F'\t' '{ ratio = ($7 > 0) ? sprintf("%.0f%%", 100 * $2 / $7) : "-";
    printf "| %s | %.1f/s | %.2f ms | %.2f ms | %d | %s | %.1f/s | %s | %s MiB |\n", $1, $2, $3, $4, $5, $6, $7, ratio, $8 }' "$results"
  echo
  echo "Memory: API idle $api_idle MiB, peak $api_peak MiB; worker idle $worker_idle MiB, peak $worker_peak MiB."
  echo "Search index: ready $index_build s after start-up; it adds" \
    "$(awk -v a="$api_idle" -v b="$sql_idle" 'BEGIN { printf "%.1f", a - b }') MiB" \
    "(an API without it idles at $sql_idle MiB)."
  echo "Freshness (commit to response, psql included): a renamed product found by search," \
    "$fresh_search; a stock change on a product page held in the cache, $fresh_stock."
  echo "$import_line"
  if [ -n "$million" ]; then echo "$million"; fi
  echo "PostgreSQL alone (pgbench, the API's own SQL): a product by id $ceiling_by_id/s, a category page with its count $ceiling_list/s."
  echo "Start-up: $startup"
  echo
  echo "Web app (headless Chromium over loopback):"
  while read -r line; do echo "- ${line#web: }"; done <<< "$web_budget"
} > "$out"
cp "$results" "$dir/$stamp-$mode.tsv"

# The chart, with matplotlib from PyPI in a virtualenv outside the clone.
venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/bench-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import matplotlib" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "matplotlib==3.9.2"
fi
"$venv/bin/python" bench/chart.py "$results" "$dir/$stamp-$mode.png" \
  "GoKart, $mode run, $(date -u '+%Y-%m-%d'): throughput against its ceiling, $(nproc) cores"
echo "![throughput against ceilings]($stamp-$mode.png)" >> "$out"
cat "$out"
echo "bench: written to $out and $dir/$stamp-$mode.png (not tracked; make bench-publish publishes it)"
