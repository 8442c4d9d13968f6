#!/usr/bin/env bash
# `make bench-publish [RUN=NAME]`: publishes one benchmark run for a commit.
# `make bench` and `make bench-quick` write their table and chart to
# bench/results/local/, which git ignores; this copies a run from there (the
# newest, or RUN: a name such as 2026-11-30T00-39-43Z-full, or the path of
# its .md) into bench/results/, makes its chart bench/results/latest.png and
# puts its table in the README's Benchmarks section. The prose around that
# table (machine, memory, start-up) is written by hand: check it against the
# run. Nothing is committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

local_dir=bench/results/local
published=bench/results

if [ -n "${1:-}" ]; then
  name=$(basename "$1" .md)
else
  shopt -s nullglob
  runs=("$local_dir"/*.md)
  if [ ${#runs[@]} -eq 0 ]; then
    echo "bench-publish: no run in $local_dir; make bench first" >&2
    exit 1
  fi
  # The names start with a UTC timestamp, so the last in order is the newest.
  name=$(basename "${runs[-1]}" .md)
fi
md=$local_dir/$name.md
png=$local_dir/$name.png
for file in "$md" "$png"; do
  if [ ! -f "$file" ]; then
    echo "bench-publish: $file not found" >&2
    exit 1
  fi
done

# The table: the run's Markdown rows, in place of the rows of the first
# table in the README's Benchmarks section.
table=$(grep '^|' "$md")
if [ -z "$table" ]; then
  echo "bench-publish: no table in $md" >&2
  exit 1
fi
readme=$(mktemp)
trap 'rm -f "$readme"' EXIT
if ! TABLE=$table awk '
  /^## / { section = ($0 == "## Benchmarks") }
  section && state < 2 && /^\|/ { if (state == 0) { print ENVIRON["TABLE"]; state = 1 } next }
  state == 1 { state = 2 }
  { print }
  END { if (state == 0) exit 3 }
' README.md > "$readme"; then
  echo "bench-publish: no table found under '## Benchmarks' in README.md" >&2
  exit 1
fi

cp "$md" "$png" "$published/"
cp "$png" "$published/latest.png"
cat "$readme" > README.md
echo "bench-publish: $published/$name.md and .png, $published/latest.png and the README table"
echo "bench-publish: check the README's text around the table against $md, then commit"
