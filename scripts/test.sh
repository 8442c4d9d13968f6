#!/usr/bin/env bash
# `make test`: the whole suite against real PostgreSQL. Uses DATABASE_URL
# when set (its user needs CREATEDB: every test gets a database of its own);
# otherwise starts the private test cluster and stops it afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started_cluster=""
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/postgres.sh start test)
  started_cluster=1
  # Databases left behind by test processes that were killed.
  psql "$DATABASE_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'test\_%'" |
    while read -r stale; do psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$stale\" WITH (FORCE)" >/dev/null; done
fi
export DATABASE_URL

# A command from PyPI, pinned, installed once into a virtualenv outside the
# clone; prints its path.
pypi_tool() {
  local package=$1 version=$2 command=$3
  local venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/$package-$version
  if [ ! -e "$venv/.installed" ]; then
    echo "test: installing $package $version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" >&2
    touch "$venv/.installed"
  fi
  echo "$venv/bin/$command"
}
# The emulators the cloud backends are tested against: Cloud Tasks (the
# `cloud-tasks` task backend) and Cloud Storage (the `gcs` media store).
GCLOUD_TASKS_EMULATOR=$(pypi_tool gcloud-tasks-emulator 0.6.2 gcloud-tasks-emulator)
GCS_EMULATOR=$(pypi_tool gcp-storage-emulator 2026.7.19 gcp-storage-emulator)
export GCLOUD_TASKS_EMULATOR GCS_EMULATOR
# The webhook tests' receiver verifies signatures with the Standard Webhooks
# reference library, not with our code.
WEBHOOK_RECEIVER_PYTHON=$(pypi_tool standardwebhooks 1.1.0 python)
export WEBHOOK_RECEIVER_PYTHON

cleanup() {
  if [ -n "$started_cluster" ]; then scripts/postgres.sh stop test; fi
}
trap cleanup EXIT

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi

if [ "$#" -eq 0 ]; then
  # The OpenAPI document: a standard linter, and a TypeScript client
  # generated from it that must type-check.
  scripts/openapi-check.sh
  # The web app: its API types against the document, type-check, Vitest;
  # then the browser journeys against the real API and worker.
  scripts/web.sh check
  scripts/web.sh e2e
  # A bounded run of `make fuzz-api`: schemathesis against the live API.
  FUZZ_MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-5} scripts/fuzz-api.sh
fi
