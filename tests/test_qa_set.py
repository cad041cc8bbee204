"""Checks on the evaluation question set, eval/qa.jsonl (see eval/README.md).

Stdlib and pytest only: the set is validated against the corpus files on disk,
not against the RAG pipeline.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QA_PATH = ROOT / "eval" / "qa.jsonl"

CATEGORIES = {"single", "followup", "multihop", "unanswerable", "conflict"}
REQUIRED = {
    "id": str,
    "category": str,
    "question": str,
    "history": list,
    "key_facts": list,
    "gold_sources": list,
    "answerable": bool,
}
OPTIONAL = {"conflict_values": list, "note": str}

MIN_TOTAL = 80
MIN_UNANSWERABLE = 12
MIN_CONFLICT = 4
MIN_MULTIHOP = 10
MIN_FOLLOWUP_3_TURNS = 4  # follow-ups with two earlier user/assistant pairs


def norm(text: str) -> str:
    """Case-fold and flatten curly quotes, dashes and accents for literal matching."""
    for a, b in {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                 "\u2013": "-", "\u2014": "-", "\u00a0": " "}.items():
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


def alternatives(fact) -> list[str]:
    return fact if isinstance(fact, list) else [fact]


def load() -> list[dict]:
    rows = []
    with QA_PATH.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
                pytest.fail(f"{QA_PATH.name}:{n} is not valid JSON: {exc}")
    return rows


QUESTIONS = load()
IDS = [q.get("id", f"line-{i}") for i, q in enumerate(QUESTIONS, 1)]
_TEXT_CACHE: dict[str, str] = {}


def source_text(rel: str) -> str:
    if rel not in _TEXT_CACHE:
        _TEXT_CACHE[rel] = norm((ROOT / rel).read_text(encoding="utf-8"))
    return _TEXT_CACHE[rel]


# ---------------------------------------------------------------- whole set

def test_file_exists_and_parts_merged():
    assert QA_PATH.is_file()
    assert not (ROOT / "eval" / "parts").exists(), "eval/qa.jsonl is the single source of truth"


def test_ids_unique():
    dupes = [i for i, c in Counter(q["id"] for q in QUESTIONS).items() if c > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_minimum_counts():
    cats = Counter(q["category"] for q in QUESTIONS)
    assert len(QUESTIONS) >= MIN_TOTAL, cats
    assert cats["unanswerable"] >= MIN_UNANSWERABLE, cats
    assert cats["conflict"] >= MIN_CONFLICT, cats
    assert cats["multihop"] >= MIN_MULTIHOP, cats
    assert cats["followup"] >= 1, cats
    long_chains = [q for q in QUESTIONS if q["category"] == "followup" and len(q["history"]) >= 4]
    assert len(long_chains) >= MIN_FOLLOWUP_3_TURNS


def test_sorted_by_category_then_id():
    order = ["single", "followup", "multihop", "unanswerable", "conflict"]
    keys = [(order.index(q["category"]), q["id"]) for q in QUESTIONS]
    assert keys == sorted(keys)


# ------------------------------------------------------------ per question

@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_fields_and_types(q):
    for field, typ in REQUIRED.items():
        assert field in q, f"missing field {field!r}"
        assert isinstance(q[field], typ), f"{field!r} should be {typ.__name__}"
    for field, typ in OPTIONAL.items():
        if field in q:
            assert isinstance(q[field], typ), f"{field!r} should be {typ.__name__}"
    unknown = set(q) - set(REQUIRED) - set(OPTIONAL)
    assert not unknown, f"unknown fields {unknown}"
    assert q["id"].strip() and q["question"].strip()
    assert q["category"] in CATEGORIES
    for fact in q["key_facts"]:
        alts = alternatives(fact)
        assert alts and all(isinstance(a, str) and a.strip() for a in alts), fact
    assert all(isinstance(g, str) for g in q["gold_sources"])
    assert len(set(q["gold_sources"])) == len(q["gold_sources"]), "repeated gold source"


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_history_messages(q):
    history = q["history"]
    for msg in history:
        assert isinstance(msg, dict) and set(msg) == {"role", "content"}, msg
        assert msg["role"] in {"user", "assistant"}, msg
        assert isinstance(msg["content"], str) and msg["content"].strip()
    if history:
        assert history[-1]["role"] == "assistant"
        roles = [m["role"] for m in history]
        assert roles == ["user", "assistant"] * (len(roles) // 2), "history must alternate user/assistant"
    if q["category"] == "followup":
        assert history, "a follow-up needs earlier turns"
    else:
        assert not history, "only follow-ups carry history"


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q["category"] == "followup"],
                         ids=[q["id"] for q in QUESTIONS if q["category"] == "followup"])
def test_followup_does_not_name_subject(q):
    """The subject is named in the history only; the question relies on it."""
    first = q["history"][0]["content"]
    names = {w for w in re.findall(r"[A-ZÀ-Ý][\w'-]{3,}", first) if w != first.split()[0]}
    months = {"January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"}
    named = [w for w in names - months if re.search(rf"\b{re.escape(w)}\b", q["question"])]
    assert not named, f"follow-up question names {named}"


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_answerable_flag_and_sources(q):
    if q["category"] == "unanswerable":
        assert q["answerable"] is False
        assert q["gold_sources"] == []
        assert q["key_facts"] == []
    else:
        assert q["answerable"] is True
        assert q["gold_sources"], "answerable questions need gold sources"
        assert q["key_facts"], "answerable questions need key facts"
    for rel in q["gold_sources"]:
        assert not Path(rel).is_absolute()
        assert (ROOT / rel).is_file(), f"gold source {rel} does not exist"


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q["answerable"]],
                         ids=[q["id"] for q in QUESTIONS if q["answerable"]])
def test_key_facts_in_gold_sources(q):
    texts = [source_text(g) for g in q["gold_sources"] if (ROOT / g).is_file()]
    missing = [fact for fact in q["key_facts"]
               if not any(norm(a) in t for a in alternatives(fact) for t in texts)]
    assert not missing, f"key facts not found in any gold source: {missing}"


@pytest.mark.parametrize("q", [q for q in QUESTIONS if q["category"] == "multihop"],
                         ids=[q["id"] for q in QUESTIONS if q["category"] == "multihop"])
def test_multihop_uses_two_files(q):
    assert len(q["gold_sources"]) >= 2


@pytest.mark.parametrize("q", QUESTIONS, ids=IDS)
def test_conflict_values(q):
    if q["category"] != "conflict":
        assert "conflict_values" not in q
        return
    values = q.get("conflict_values")
    assert isinstance(values, list) and len(values) == 2, "a conflict needs exactly 2 conflict_values"
    assert all(isinstance(v, str) and v.strip() for v in values)
    assert norm(values[0]) != norm(values[1])
    texts = [source_text(g) for g in q["gold_sources"] if (ROOT / g).is_file()]
    for v in values:
        assert any(norm(v) in t for t in texts), f"conflict value {v!r} not in any gold source"
