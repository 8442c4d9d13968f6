#!/usr/bin/env bash
# `make deny`: dependency hygiene with cargo-deny (deny.toml): licenses,
# duplicate versions and wildcard requirements (bans), and where crates come
# from (sources). Advisories need the RustSec database, which is fetched
# over the network: set DENY_ADVISORIES=1 where that is reachable (the
# GitHub workflow does).
#
# Installs the pinned cargo-deny from crates.io into ~/.cache/gokart/tools
# the first time (a few minutes of compiling), then reuses it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=0.20.2
tools=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/tools
deny=$tools/bin/cargo-deny
if ! [ -x "$deny" ] || ! "$deny" --version 2>/dev/null | grep -q "$version"; then
  echo "deny: installing cargo-deny $version into $tools"
  CARGO_TARGET_DIR="$tools/target" cargo install --quiet --locked "cargo-deny@$version" --root "$tools"
  rm -rf "$tools/target"
fi

checks=(bans licenses sources)
if [ "${DENY_ADVISORIES:-0}" = 1 ]; then checks+=(advisories); fi
"$deny" deny --locked check "${checks[@]}"
