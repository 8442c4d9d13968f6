#!/usr/bin/env bash
# A private PostgreSQL cluster for development or tests, from the machine's
# own PostgreSQL binaries: no Docker, no system service, no root needed
# (when run as root, the cluster runs as the unprivileged `postgres` user,
# since initdb refuses root).
#
#   scripts/postgres.sh start dev|test   start (initialising if needed); print its URL
#   scripts/postgres.sh stop  dev|test   stop it
#
# Data lives under .local/postgres/<name> (git-ignored). Ports: dev 54329,
# test 54339 (GOKART_PG_PORT overrides). The test cluster trades durability
# for speed (fsync off); never keep anything there you want to keep.
set -euo pipefail

action=${1:-}
name=${2:-dev}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

case "$name" in
  dev) default_port=54329; database=gokart ;;
  test) default_port=54339; database=postgres ;;
  *) echo "usage: $0 start|stop dev|test" >&2; exit 2 ;;
esac
port=${GOKART_PG_PORT:-$default_port}

find_pg_bin() {
  local tool=$1 candidate
  if command -v "$tool" >/dev/null 2>&1; then command -v "$tool"; return; fi
  for candidate in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V -r) \
                   /usr/local/opt/postgresql*/bin /opt/homebrew/opt/postgresql*/bin; do
    if [ -x "$candidate/$tool" ]; then echo "$candidate/$tool"; return; fi
  done
  cat >&2 <<MSG
PostgreSQL's server programs ($tool) were not found. Install PostgreSQL 15 or newer:
  Debian/Ubuntu: sudo apt-get install postgresql
  Fedora:        sudo dnf install postgresql-server
  macOS:         brew install postgresql@16
or set DATABASE_URL to a PostgreSQL you already run.
MSG
  exit 1
}

initdb=$(find_pg_bin initdb)
pg_ctl=$(find_pg_bin pg_ctl)
psql=$(find_pg_bin psql)

# Run a command as the cluster's owner: ourselves, or `postgres` when root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

owner=$(id -un)
data_root=${GOKART_PG_ROOT:-$repo/.local/postgres}
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  if ! id "$owner" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  fi
  mkdir -p "$data_root"
  chown "$owner:" "$data_root"
  # The repository may sit where `postgres` cannot reach (e.g. under /root).
  if ! runuser -u "$owner" -- test -w "$data_root"; then
    data_root=/tmp/gokart-postgres-$(printf '%s' "$repo" | cksum | cut -d' ' -f1)
    mkdir -p "$data_root"
    chown "$owner:" "$data_root"
  fi
else
  mkdir -p "$data_root"
fi
data=$data_root/$name

url="postgres://gokart@127.0.0.1:$port/$database"

start() {
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner mkdir -p "$data"
    as_owner "$initdb" -D "$data" -U gokart --auth=trust --encoding=UTF8 --no-locale >"$data_root/$name-initdb.log" 2>&1 || {
      cat "$data_root/$name-initdb.log" >&2; exit 1; }
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $port"
      echo "unix_socket_directories = '$data'"
      echo "max_connections = 300"
      if [ "$name" = test ]; then
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
    } | as_owner tee -a "$data/postgresql.conf" >/dev/null
  fi
  if ! as_owner "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$pg_ctl" -D "$data" -l "$data/server.log" -o "-p $port" -w -t 60 start >/dev/null || {
      echo "PostgreSQL did not start; its log:" >&2; tail -n 30 "$data/server.log" >&2
      echo "(if port $port is taken, choose another with GOKART_PG_PORT=NNNNN)" >&2; exit 1; }
  fi
  if [ "$database" != postgres ]; then
    if ! "$psql" "postgres://gokart@127.0.0.1:$port/postgres" -Atqc \
        "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
      "$psql" "postgres://gokart@127.0.0.1:$port/postgres" -qc "CREATE DATABASE $database" >/dev/null
    fi
  fi
  echo "$url"
}

stop() {
  if [ -f "$data/PG_VERSION" ] && as_owner "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_owner "$pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop dev|test" >&2; exit 2 ;;
esac
