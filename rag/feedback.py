"""Thumbs up/down on answers, kept as JSON Lines next to the index.

One line per rating, appended, so the file can be read with any tool and
fed back into the evaluation set. Only what the answer showed is stored:
never settings, never an API key.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .answering import Answer
from .config import Settings
from .errors import RagError

RATINGS = ("up", "down")


def feedback_path(settings: Settings) -> Path:
    return settings.data_path / "feedback.jsonl"


def record_feedback(settings: Settings, question: str, answer: Answer, rating: str, comment: str = "") -> Path:
    """Append one rating of `answer` to `<data>/feedback.jsonl` and return the file's path."""
    if rating not in RATINGS:
        raise RagError(f"a rating is 'up' or 'down', not {rating!r}")
    record = {
        "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "question": question,
        "standalone_question": answer.standalone_question,
        "answer": answer.answer,
        "refused": answer.refused,
        "citations": [
            {"n": c.n, "source": c.source, "chunk_id": c.chunk_id, "supported": c.supported}
            for c in answer.citations
        ],
        "engine": answer.engine,
        "rating": rating,
        "comment": comment,
    }
    path = feedback_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:  # one write per line: appends do not interleave
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
