"""Conversation history and the standalone rewrite of follow-up questions.

A follow-up ("When did he die?") is searched as a standalone query. With a
generative engine the model rewrites it (prompts/condense.txt); without one,
`carry_entities` does it deterministically by carrying the names of the
previous turns into the query.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from .citations import strip_marks
from .errors import RagError

MAX_QUESTION_CHARS = 2000


class HistoryError(RagError):
    pass


def validate_history(history: object) -> list[dict]:
    """History as OpenAI-style messages, or a HistoryError saying what is wrong."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise HistoryError("history must be a JSON list of messages like {\"role\": \"user\", \"content\": \"...\"}")
    out = []
    for i, m in enumerate(history):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant") or not isinstance(m.get("content"), str):
            raise HistoryError(
                f"history message {i} must be an object with \"role\" (\"user\" or \"assistant\") "
                f"and \"content\" (a string); got {json.dumps(m, ensure_ascii=False)[:80]}"
            )
        out.append({"role": m["role"], "content": m["content"]})
    return out


def load_history(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryError(f"history file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise HistoryError(f"history file {path} is not valid JSON: {e}") from None
    return validate_history(data)


def clean_question(question: str) -> tuple[str, list[str]]:
    """Normalise a question; (text, notices). Control characters go, length is capped."""
    notices = []
    text = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" else c for c in question
    )
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
        notices.append(f"The question was longer than {MAX_QUESTION_CHARS} characters; only its start was used.")
    return text, notices


_PRONOUNS = re.compile(
    r"\b(he|she|him|his|her|hers|they|them|their|it|its|this|that|these|those|there|then|the same)\b", re.I
)
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+(?:de|del|von|van|al|bin)?\s*[A-Z][\w'’-]+)*")
_NOT_NAMES = {
    "The", "A", "An", "In", "On", "At", "He", "She", "It", "They", "His", "Her", "Their", "This", "That",
    "Who", "What", "When", "Where", "Why", "How", "Which", "Was", "Were", "Did", "Does", "Is", "And", "But",
    "After", "Before", "Sources", "Source", "According", "Yes", "No", "There", "I", "We", "You",
}


def names_in(text: str) -> list[str]:
    """Capitalised names in `text`, in order, without sentence-initial function words."""
    found: list[str] = []
    for m in _NAME.finditer(strip_marks(text)):
        words = [w for w in m.group(0).split() if w not in _NOT_NAMES]
        name = " ".join(words)
        if name and name not in found and not name.isdigit():
            found.append(name)
    return found


def needs_context(question: str) -> bool:
    """A follow-up leans on earlier turns when it has a pronoun or no name of its own."""
    return bool(_PRONOUNS.search(question)) or not names_in(question)


def carry_entities(question: str, history: list[dict], limit: int = 4) -> str:
    """Deterministic standalone query: the question plus the names of the last turns."""
    if not history or not needs_context(question):
        return question
    own = set(names_in(question))
    carried: list[str] = []
    # Most recent turns first: the last answer, then the question it answered.
    for message in reversed(history[-4:]):
        for name in names_in(message["content"]):
            if name not in own and name not in carried:
                carried.append(name)
    if not carried:
        return question
    return f"{question} ({'; '.join(carried[:limit])})"
