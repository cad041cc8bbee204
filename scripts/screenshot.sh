#!/usr/bin/env bash
# Refresh the README's picture (docs/screenshot.png) on purpose: runs the
# browser test with its screenshot written into docs/ instead of a temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
SCREENSHOT_DIR="$PWD/docs" exec .venv/bin/python -m pytest tests/test_browser.py -q -k "ask_read_sources or newcomer"
