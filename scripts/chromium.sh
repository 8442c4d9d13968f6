#!/usr/bin/env bash
# Makes sure the browser the web app's tests and budget run in is here:
# CHROMIUM (default /usr/bin/chromium), Debian's package installed with
# apt-get when missing.
set -euo pipefail
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "chromium: installing Debian's chromium" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq chromium >/dev/null 2>&1 ||
    { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq chromium >/dev/null; }
fi
