#!/usr/bin/env bash
# A fresh app-only install (scripts/setup.sh without --dev) in a copy of the
# tracked files, then `rag ingest` and `rag ask`: catches a dependency that
# only the dev extras bring in (greenlet was found that way, by hand).
# pip's cache is reused, so after the first run it costs the install time only.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$dir"
cd "$dir"
bash scripts/setup.sh >/dev/null
env -u RAG_DATA_DIR -u RAG_CHROMA_URL -u RAG_ENGINE -u OPENAI_API_KEY .venv/bin/rag ingest >/dev/null || [ $? -eq 2 ]
out=$(env -u OPENAI_API_KEY RAG_ENGINE=extractive .venv/bin/rag ask "Who was Ramon Mercader?" --json)
.venv/bin/python -c 'import json, sys; a = json.loads(sys.argv[1]); assert not a["refused"] and a["citations"], a' "$out"
echo "fresh install: ok (ingest and ask without the dev extras)"
