#!/usr/bin/env bash
# Set up everything the tests need (venv, packages, Debian's chromium for the
# browser test) and run the whole suite. Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser test..."
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# An app-only install must ingest and answer (set SKIP_FRESH_INSTALL=1 to skip locally).
[ "${SKIP_FRESH_INSTALL:-0}" = 1 ] || bash scripts/fresh_install.sh
exec .venv/bin/python -m pytest "$@"
