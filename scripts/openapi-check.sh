#!/usr/bin/env bash
# `make openapi-check`: lint the OpenAPI document the API serves, then
# generate a TypeScript client from it and type-check code that uses it.
#
#   1. document  `api openapi` (a debug build; needs no database), or FILE
#   2. tools     Spectral, openapi-typescript and TypeScript (npm), pinned by
#                tools/openapi/package-lock.json and installed the first time
#                into a directory outside the clone named after that lock
#   3. lint      Spectral with tools/openapi/.spectral.yaml (spectral:oas,
#                built in: nothing is fetched); fails on any error or warning
#   4. client    openapi-typescript writes schema.d.ts
#   5. types     tsc --strict on tools/openapi/client-check.ts, which uses
#                the generated paths, operations and components
#
#   scripts/openapi-check.sh              the document `api openapi` prints
#   scripts/openapi-check.sh FILE.json    an existing document instead
#   OPENAPI_FAIL_SEVERITY=error ...       let warnings pass (default: warn)
#
# Writes nothing inside the clone; every stage runs even when one before it
# fails, unless it needs that stage's output.
set -euo pipefail

if [ "$#" -gt 1 ]; then
  echo "usage: $0 [openapi.json]" >&2
  exit 2
fi
document=${1:-}
if [ -n "$document" ]; then
  if [ ! -f "$document" ]; then
    echo "openapi-check: no such file: $document" >&2
    exit 2
  fi
  document=$(cd "$(dirname "$document")" && pwd)/$(basename "$document")
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools=tools/openapi
fail_severity=${OPENAPI_FAIL_SEVERITY:-warn}
started=$(date +%s)

work=$(mktemp -d)
staging=""
cleanup() {
  rm -rf "$work"
  if [ -n "$staging" ]; then rm -rf "$staging"; fi
}
trap cleanup EXIT

failed=()
stage_failed() {
  failed+=("$1")
  echo "openapi-check: $1 FAILED" >&2
}

# 1. The document.
if [ -n "$document" ]; then
  echo "openapi-check: document: $document"
  cp "$document" "$work/openapi.json"
else
  echo "openapi-check: document: \`api openapi\` from a debug build"
  cargo build --quiet --bin api
  "${CARGO_TARGET_DIR:-target}/debug/api" openapi > "$work/openapi.json"
fi
if ! node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$work/openapi.json"; then
  echo "openapi-check: the document is not JSON" >&2
  exit 1
fi

# 2. The tools, once per version of the lock file. Installed into a staging
# directory and renamed into place, so an interrupted or concurrent install
# never leaves a half-filled cache behind.
key=$(cat "$tools/package.json" "$tools/package-lock.json" | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/openapi-tools-$key
bin=$cache/node_modules/.bin
if [ ! -f "$cache/.installed" ]; then
  echo "openapi-check: tools: installing $tools/package-lock.json into $cache"
  mkdir -p "$(dirname "$cache")"
  staging=$(mktemp -d "$cache.XXXXXX")
  chmod 755 "$staging"
  cp "$tools/package.json" "$tools/package-lock.json" "$staging/"
  npm ci --prefix "$staging" --ignore-scripts --no-audit --no-fund \
    --no-update-notifier --loglevel=error > /dev/null
  touch "$staging/.installed"
  # Another run may have finished first; its copy is as good as this one.
  if ! mv -T "$staging" "$cache" 2>/dev/null; then rm -rf "$staging"; fi
  staging=""
else
  echo "openapi-check: tools: $cache"
fi

# 3. Lint. The stylish report goes to the terminal, a JSON one to the summary.
echo "openapi-check: lint: Spectral, $tools/.spectral.yaml, failing on severity $fail_severity and above"
lint_status=0
"$bin/spectral" lint "$work/openapi.json" --ruleset "$tools/.spectral.yaml" \
  --fail-severity "$fail_severity" --format stylish --format json \
  --output.json "$work/lint.json" --quiet || lint_status=$?
if [ -f "$work/lint.json" ]; then
  node -e '
    const results = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const names = ["error", "warning", "information", "hint"];
    const byRule = new Map();
    for (const r of results) {
      const key = names[r.severity] + " " + r.code;
      byRule.set(key, (byRule.get(key) ?? 0) + 1);
    }
    if (byRule.size === 0) console.log("openapi-check: lint: no findings");
    for (const [key, n] of [...byRule].sort()) console.log("openapi-check: lint: " + n + " × " + key);
  ' "$work/lint.json"
fi
if [ "$lint_status" -ne 0 ]; then stage_failed lint; fi

# 4. The client types.
echo "openapi-check: client: openapi-typescript"
mkdir "$work/client"
if "$bin/openapi-typescript" "$work/openapi.json" -o "$work/client/schema.d.ts" \
  > "$work/client.log" 2>&1; then
  # 5. Type-check code written against them.
  echo "openapi-check: types: tsc --strict on $tools/client-check.ts"
  cp "$tools/client-check.ts" "$tools/tsconfig.json" "$work/client/"
  if ! (cd "$work/client" && "$bin/tsc" --project tsconfig.json --pretty false); then
    stage_failed types
  fi
else
  cat "$work/client.log" >&2
  stage_failed client
  echo "openapi-check: types: skipped (no client)"
fi

elapsed=$(( $(date +%s) - started ))
if [ "${#failed[@]}" -gt 0 ]; then
  echo "openapi-check: FAILED (${failed[*]}) in ${elapsed}s" >&2
  exit 1
fi
echo "openapi-check: passed (lint, client, types) in ${elapsed}s"
