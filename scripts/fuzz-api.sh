#!/usr/bin/env bash
# `make fuzz-api`: schemathesis (PyPI, installed into a virtualenv outside
# the clone the first time) against the live API's OpenAPI document: every
# operation, generated valid and invalid input, as a customer and as an
# admin. Fails on any 5xx, any response that breaks the documented schema,
# status codes or content types, and any invalid input accepted.
#
#   scripts/fuzz-api.sh           FUZZ_MAX_EXAMPLES per operation (100)
#   FUZZ_MAX_EXAMPLES=5 ...       the bounded run `make test` does
#
# Uses DATABASE_URL when set, otherwise the private test cluster; the API
# runs from a debug build on 127.0.0.1 with a fresh `gokart_fuzz` database.
# Nothing is written to the clone: schemathesis runs in a temporary folder,
# and its state (the last run's crash files, for `schemathesis replay`) and
# Hypothesis' caches live under ~/.cache/gokart/fuzz-api/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=4.32.5
examples=${FUZZ_MAX_EXAMPLES:-100}
venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/schemathesis-$version
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "fuzz-api: installing schemathesis $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

cargo build --quiet --bin api
bin=${CARGO_TARGET_DIR:-target}/debug

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start test)
  started_cluster=1
fi
export PGOPTIONS=--client-min-messages=warning
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS gokart_fuzz WITH (FORCE)" -c "CREATE DATABASE gokart_fuzz"
db="${DATABASE_URL%/*}/gokart_fuzz"
work=$(mktemp -d)
api_pid=""
cleanup() {
  if [ -n "$api_pid" ]; then kill -TERM "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS gokart_fuzz WITH (FORCE)" >/dev/null 2>&1 || true
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop test; fi
}
trap cleanup EXIT

# Schemathesis keeps its state in ./.schemathesis unless its configuration
# names a directory (no command-line option does): here one per pass, emptied
# at the start of every run, since each run has a database of its own and a
# pass drops the crash files of the operations that passed in it. The last
# run's crash files stay for `schemathesis replay`.
state=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/fuzz-api
rm -rf "$state/passes"
mkdir -p "$state/passes" "$state/hypothesis"
export HYPOTHESIS_STORAGE_DIRECTORY=$state/hypothesis

port=${FUZZ_PORT:-18180}
api="http://127.0.0.1:$port"
# Photos the run uploads (and the demo ones) go to its own folder.
export MEDIA_DIR=$work/media
DATABASE_URL=$db RUST_LOG=warn "$bin/api" migrate
DATABASE_URL=$db RUST_LOG=warn "$bin/api" seed --no-photos
# Generated sign-ins would otherwise lock the accounts out within seconds.
DATABASE_URL=$db PORT=$port PUBLIC_URL=$api RUST_LOG=error RELAY_ENABLED=false \
  MAINTENANCE_INTERVAL=off AUTH_RATE_LIMIT_PER_MINUTE=100000000 LOGIN_FAILURE_LIMIT=1000000 LOGIN_ACCOUNT_FAILURE_LIMIT=1000000 \
  ARGON2_MEMORY_KIB=1024 ARGON2_ITERATIONS=1 "$bin/api" serve > "$work/api.log" 2>&1 & api_pid=$!
for _ in $(seq 1 100); do PORT=$port "$bin/api" healthcheck 2>/dev/null && break; sleep 0.1; done

token() {
  curl -sf -H 'content-type: application/json' -d "$2" "$api$1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
customer=$(token /api/v1/users '{"name": "Fuzz Customer", "email": "fuzz@example.com", "password": "fuzzing passphrase"}')
admin=$(token /api/v1/auth/login '{"email": "admin@example.com", "password": "supersecretpassword"}')
# The first passes may change the customer's password; the last one, which
# deletes the account, signs in as a second customer with a known one.
leaving=$(token /api/v1/users '{"name": "Fuzz Leaver", "email": "fuzz-leaver@example.com", "password": "fuzzing passphrase"}')

# Test data the schema cannot describe: ids that exist, each pass's current
# password, and a cart to check out, so that schema-valid requests can
# succeed and the run shows whether the document is as strict as the API.
call() {
  curl -sf -H "Authorization: Bearer $1" -H 'content-type: application/json' "${@:2}"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
address='{"name": "Fuzz", "phone": "+1 555 010 0199", "street1": "1 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}'
customer_address=$(call "$customer" -d "$address" "$api/api/v1/addresses" | field '["id"]')
admin_address=$(call "$admin" -d "$address" "$api/api/v1/addresses" | field '["id"]')
categories=$(curl -sf "$api/api/v1/categories" | python3 -c '
import json, sys
body = json.load(sys.stdin)
print(json.dumps([c["id"] for c in (body["items"] if isinstance(body, dict) else body)]))')
variant=$(curl -sf "$api/api/v1/products?in_stock=true&page_size=1" | field '["items"][0]["variants"][0]["id"]')
for who in "$customer" "$admin"; do
  call "$who" -d "{\"variant_id\": \"$variant\", \"quantity\": 1}" "$api/api/v1/cart/items" >/dev/null
done
cat > "$work/schemathesis.toml" <<TOML
[cache]
directory = "\${GOKART_FUZZ_STATE}"

[dictionaries.addresses]
values = ["$customer_address", "$admin_address"]

[dictionaries.categories]
values = $categories

[dictionaries.passwords]
values = ["fuzzing passphrase", "supersecretpassword"]

[[operations]]
include-operation-id = "checkout"
parameters = { "body.shipping_address_id" = { dictionary = "addresses" }, "body.billing_address_id" = { dictionary = "addresses" } }

[[operations]]
include-operation-id = "admin_create_product"
parameters = { "body.category_id" = { dictionary = "categories" } }

[[operations]]
include-operation-id = "admin_update_product"
parameters = { "body.category_id" = { dictionary = "categories" } }

[[operations]]
include-operation-id = "change_password"
parameters = { "body.current_password" = { dictionary = "passwords" } }

[[operations]]
include-operation-id = "delete_account"
parameters = { "body.password" = { dictionary = "passwords" } }
TOML

# Deleting the account or revoking sessions (the session ids come from the
# session list, through the links schemathesis infers) would end the pass's
# own credentials; those run last, in a pass of their own.
ending=(delete_account revoke_all_sessions revoke_session)
# Every check but one: `positive_data_acceptance` expects every input the
# schema allows to succeed, and business rules the schema cannot state
# (stock to sell, an email not yet taken) refuse some. The
# validation-mismatch warning, which fires when no schema-valid request of
# an operation succeeds, fails the run instead (but for the three above).
run() {
  (cd "$work" && GOKART_FUZZ_STATE="$state/passes/$2" "$venv/bin/schemathesis" \
    --config-file "$work/schemathesis.toml" run "$api/api/v1/openapi.json" \
    --header "Authorization: Bearer $1" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-examples "$examples" --seed 20261130 --workers 1 \
    --generation-database none --no-color --output-truncate true \
    --suppress-health-check too_slow,filter_too_much \
    --report junit --report-dir "$work/report-$2" "${@:3}") | tee "$work/output-$2"
  local status=${PIPESTATUS[0]}
  # A schema-valid request refused as invalid is a gap in the document.
  # Schemathesis warns when every schema-valid request of an operation was;
  # only these may be, for state that no schema states (an address in the
  # caller's book, a category that exists, the caller's current password,
  # the one payment provider this shop runs, the options of the product a
  # variant is added to or belongs to, whether a product has one variant to take a
  # product-level SKU, price or stock, whether an uploaded file's bytes are
  # an image or a CSV file with a header of known columns, a live token from a reset or verification email, a discount
  # code the shop has, products and categories a discount's scope names,
  # the order's own lines a refund or a return names, and a refund's choice
  # of an amount or lines),
  # since its coverage phase does not use the test data above.
  local mismatched
  mismatched=$(awk '/^Schema validation mismatch:/ {list = 1; next}
    list && /^  - / {print substr($0, 5); next}
    list && /^[^ ]/ && !/^$/ {list = 0}' "$work/output-$2" |
    grep -vxE 'POST /api/v1/orders|PUT /api/v1/users/password|POST /api/v1/admin/products|POST /api/v1/admin/products/\{id\}/variants|PUT /api/v1/admin/variants/\{id\}|PUT /api/v1/admin/products/\{id\}|PATCH /api/v1/admin/products/\{id\}/stock|POST /api/v1/admin/products/\{id\}/media|POST /api/v1/admin/imports|POST /api/v1/auth/password-reset/confirm|POST /api/v1/auth/verify-email|POST /api/v1/cart/discount-codes|POST /api/v1/admin/discounts|PUT /api/v1/admin/discounts/\{id\}|POST /api/v1/admin/orders/\{id\}/refunds|POST /api/v1/orders/\{id\}/returns' || true)
  if [ -n "$mismatched" ]; then
    echo "fuzz-api: schema-valid requests refused as invalid, the document is looser than the API:" >&2
    echo "$mismatched" >&2
    return 1
  fi
  return "$status"
}
status=0
echo "fuzz-api: as a customer, up to $examples examples per operation"
run "$customer" customer "${ending[@]/#/--exclude-operation-id=}" || status=1
echo "fuzz-api: as an admin"
run "$admin" admin "${ending[@]/#/--exclude-operation-id=}" || status=1
echo "fuzz-api: as a customer, the operations that end the session"
run "$leaving" ending "${ending[@]/#/--include-operation-id=}" || status=1
if [ "$status" -ne 0 ]; then
  echo "fuzz-api: failures above; the API's log:" >&2
  grep -E "ERROR|panicked" "$work/api.log" | tail -20 >&2 || true
  echo "fuzz-api: crash files in $state/passes/*/crashes; against a running API:" \
    "$venv/bin/schemathesis replay --url URL -H 'Authorization: Bearer TOKEN' DIR" >&2
fi
[ "$status" -eq 0 ]
