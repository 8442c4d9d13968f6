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

# The Cloud Tasks emulator (PyPI) that the cloud-tasks backend is tested
# against, installed once into a virtualenv outside the clone.
emulator_version=0.6.2
emulator_venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/tasks-emulator-$emulator_version
if [ ! -x "$emulator_venv/bin/gcloud-tasks-emulator" ]; then
  echo "test: installing gcloud-tasks-emulator $emulator_version into $emulator_venv"
  python3 -m venv "$emulator_venv"
  "$emulator_venv/bin/pip" install --quiet --disable-pip-version-check \
    "gcloud-tasks-emulator==$emulator_version"
fi
export GCLOUD_TASKS_EMULATOR="$emulator_venv/bin/gcloud-tasks-emulator"

# The Cloud Storage emulator (PyPI) that the `gcs` media store is tested against.
storage_version=2026.7.19
storage_venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/gokart/storage-emulator-$storage_version
if [ ! -x "$storage_venv/bin/gcp-storage-emulator" ]; then
  echo "test: installing gcp-storage-emulator $storage_version into $storage_venv"
  python3 -m venv "$storage_venv"
  "$storage_venv/bin/pip" install --quiet --disable-pip-version-check \
    "gcp-storage-emulator==$storage_version"
fi
export GCS_EMULATOR="$storage_venv/bin/gcp-storage-emulator"

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
  # A bounded run of `make fuzz-api`: schemathesis against the live API.
  FUZZ_MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-5} scripts/fuzz-api.sh
fi
