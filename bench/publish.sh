#!/usr/bin/env bash
# `make bench-publish [RUN=NAME]`: publishes one benchmark run for a commit.
# `make bench` and `make bench-quick` write their table and chart to
# bench/results/local/, which git ignores; this copies a run (the newest
# there; or RUN: a name such as 2026-11-30T00-39-43Z-full, looked up in
# bench/results/local/, or the path of a run's .md with its .png beside it)
# into bench/results/, makes its chart bench/results/latest.png and puts its
# table in docs/BENCHMARKS.md, under "## Latest results". The prose around
# that table (machine, memory, start-up) is written by hand: check it
# against the run. Nothing is committed.
set -euo pipefail
if [ -n "${1:-}" ] && [ -f "$1" ]; then
  # A path, from where the command was run.
  md=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."

local_dir=bench/results/local
published=bench/results
page=docs/BENCHMARKS.md
section="## Latest results"

if [ -n "${md:-}" ]; then
  name=$(basename "$md" .md)
  png=$(dirname "$md")/$name.png
else
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
fi
for file in "$md" "$png"; do
  if [ ! -f "$file" ]; then
    echo "bench-publish: $file not found" >&2
    exit 1
  fi
done

# The table: the run's Markdown rows, in place of the rows of the first
# table in the page's "Latest results" section.
table=$(grep '^|' "$md" || true)
if [ -z "$table" ]; then
  echo "bench-publish: no table in $md" >&2
  exit 1
fi
updated=$(mktemp)
trap 'rm -f "$updated"' EXIT
if ! TABLE=$table SECTION=$section awk '
  /^## / { in_section = ($0 == ENVIRON["SECTION"]) }
  in_section && state < 2 && /^\|/ { if (state == 0) { print ENVIRON["TABLE"]; state = 1 } next }
  state == 1 { state = 2 }
  { print }
  END { if (state == 0) exit 3 }
' "$page" > "$updated"; then
  echo "bench-publish: no table found under '$section' in $page" >&2
  exit 1
fi

# A run already in bench/results/ (published before) is not copied onto itself.
if ! [ "$md" -ef "$published/$name.md" ]; then cp "$md" "$published/$name.md"; fi
if ! [ "$png" -ef "$published/$name.png" ]; then cp "$png" "$published/$name.png"; fi
cp "$png" "$published/latest.png"
cat "$updated" > "$page"
echo "bench-publish: $published/$name.md and .png, $published/latest.png and the table in $page"
echo "bench-publish: check the text around that table against $md, then commit"
