#!/usr/bin/env bash
# Set up, index the corpus (incremental: instant when nothing changed) and
# start the chat app on http://127.0.0.1:8501 with the offline default engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/rag ingest || [ $? -eq 2 ]   # exit 2 = some files skipped, listed above
exec .venv/bin/streamlit run app.py --server.headless true --server.address 127.0.0.1 \
  --server.port "${PORT:-8501}" --browser.gatherUsageStats false --client.toolbarMode viewer
