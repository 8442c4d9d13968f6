#!/usr/bin/env bash
# `make fuzz`: coverage-guided fuzzing (cargo fuzz, libFuzzer) of the parsers
# that face strangers: the Stripe signature check, access and service
# tokens, product query values and `traceparent`. Each target runs for
# FUZZ_SECONDS (default 60; .ci/run runs 10). A crash stops the run and
# leaves its input in fuzz/artifacts/.
#
# Installs the pinned cargo-fuzz from crates.io into ~/.cache/gokart/tools
# the first time. cargo fuzz passes the unstable sanitizer flags to rustc;
# RUSTC_BOOTSTRAP lets this stable toolchain accept them. The corpus grows
# in ~/.cache/gokart/fuzz-corpus, outside the clone, from run to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

version=0.13.1
seconds=${FUZZ_SECONDS:-60}
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart
tools=$cache/tools
if ! [ -x "$tools/bin/cargo-fuzz" ] || ! "$tools/bin/cargo-fuzz" --version 2>/dev/null | grep -q "$version"; then
  echo "fuzz: installing cargo-fuzz $version into $tools"
  CARGO_TARGET_DIR="$tools/target" cargo install --quiet --locked "cargo-fuzz@$version" --root "$tools"
  rm -rf "$tools/target"
fi
export PATH="$tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=$cache/fuzz-target
# Safe Rust needs no AddressSanitizer to be memory-safe, and a debug build
# with coverage compiles in a third of the time: the default. FUZZ_ASAN=1
# builds optimised with AddressSanitizer, for long runs.
build=(--dev --sanitizer none)
if [ "${FUZZ_ASAN:-0}" = 1 ]; then build=(); fi

for target in stripe_signature tokens product_query; do
  corpus=$cache/fuzz-corpus/$target
  mkdir -p "$corpus"
  echo "fuzz: $target for ${seconds}s"
  log=$cache/fuzz-$target.log
  status=0
  cargo fuzz run --fuzz-dir fuzz "${build[@]}" "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=1 > "$log" 2>&1 || status=$?
  grep -E "^stat::(number_of_executed_units|new_units_added)" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
