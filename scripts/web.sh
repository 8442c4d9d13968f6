#!/usr/bin/env bash
# The web app in web/ (storefront at /, admin at /admin), served by the API.
#
#   scripts/web.sh build    npm ci (when the lock changed), type-check, build web/dist
#   scripts/web.sh schema   regenerate web/src/api/schema.d.ts from `api openapi`
#   scripts/web.sh check    the checked-in API types match the API's document,
#                           then type-check and run the Vitest tests
#   scripts/web.sh e2e      the browser journeys: a fresh database, the API
#                           (serving web/dist) and the worker, driven in
#                           headless Chromium (installed with apt-get if missing)
#   scripts/web.sh screenshots   the README's screenshots (docs/screenshots/),
#                           taken from the same shop the journeys run against
#   scripts/web.sh dev      Vite with hot reload on :5173 against the API on :8080
#
# Needs Node.js 20 or later with npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command=${1:-build}
web=web
bin=${CARGO_TARGET_DIR:-target}/debug

need_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "web: Node.js 20 or later with npm is needed to build the web app" >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "web: Node.js $major is too old; 20 or later is needed" >&2
    exit 1
  fi
}

# npm ci, only when package-lock.json changed since the last install.
install() {
  need_node
  local stamp=$web/node_modules/.gokart-lock
  if [ -f "$stamp" ] && cmp -s "$web/package-lock.json" "$stamp"; then
    return
  fi
  echo "web: installing packages (npm ci)"
  npm ci --prefix "$web" --no-audit --no-fund --no-update-notifier --loglevel=error
  cp "$web/package-lock.json" "$stamp"
}

# The OpenAPI document the API serves, from a debug build.
document() {
  cargo build --quiet --bin api
  "$bin/api" openapi > "$1"
}

case "$command" in
  build)
    install
    (cd "$web" && npx --no-install tsc -p tsconfig.json && npx --no-install vite build --logLevel warn)
    echo "web: built $web/dist"
    ;;
  schema)
    install
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    document "$work/openapi.json"
    (cd "$web" && npx --no-install openapi-typescript "$work/openapi.json" -o src/api/schema.d.ts)
    ;;
  check)
    install
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    document "$work/openapi.json"
    (cd "$web" && npx --no-install openapi-typescript "$work/openapi.json" -o "$work/schema.d.ts" >/dev/null)
    if ! diff -q "$work/schema.d.ts" "$web/src/api/schema.d.ts" >/dev/null; then
      diff -u "$web/src/api/schema.d.ts" "$work/schema.d.ts" | head -40 >&2 || true
      echo "web: src/api/schema.d.ts is not the API's document; run scripts/web.sh schema and fix what no longer type-checks" >&2
      exit 1
    fi
    echo "web: API types match the document"
    (cd "$web" && npx --no-install tsc -p tsconfig.json && npx --no-install vitest run)
    ;;
  e2e)
    "$0" build
    exec scripts/web-e2e.sh
    ;;
  screenshots)
    "$0" build
    exec scripts/web-e2e.sh node web/bench/screenshots.mjs
    ;;
  dev)
    install
    (cd "$web" && exec npx --no-install vite)
    ;;
  *)
    echo "usage: $0 build|schema|check|e2e|screenshots|dev" >&2
    exit 2
    ;;
esac
