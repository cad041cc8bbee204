"""Checks on the evaluation question set, eval/qa.jsonl (see eval/README.md).

Stdlib and pytest only: the set is validated against the corpus files on disk,
not against the RAG pipeline.
"""

from __future__ import annotations

import hashlib
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
    "split": str,
}
OPTIONAL = {"conflict_values": list, "note": str}
SPLITS = {"dev", "heldout"}
HELDOUT_EVERY = 3  # one row in three is held out (see eval/README.md)

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


# ------------------------------------------------------------ per row
# One test per property; each checks every row and lists all the bad ones.


def _bad_rows(check, rows=None) -> list[str]:
    """`check(q)` returns a list of problems for one row; collect them as 'id: problem'."""
    bad = []
    for i, q in enumerate(QUESTIONS if rows is None else rows, 1):
        for problem in check(q):
            bad.append(f"{q.get('id', f'line-{i}')}: {problem}")
    return bad


def _report(bad: list[str]) -> str:
    return f"{len(bad)} bad rows:\n" + "\n".join(bad)


def _fields(q):
    for field, typ in REQUIRED.items():
        if field not in q:
            yield f"missing field {field!r}"
        elif not isinstance(q[field], typ):
            yield f"{field!r} should be {typ.__name__}"
    for field, typ in OPTIONAL.items():
        if field in q and not isinstance(q[field], typ):
            yield f"{field!r} should be {typ.__name__}"
    unknown = set(q) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        yield f"unknown fields {sorted(unknown)}"
    if not str(q.get("id", "")).strip() or not str(q.get("question", "")).strip():
        yield "empty id or question"
    if q.get("category") not in CATEGORIES:
        yield f"unknown category {q.get('category')!r}"
    for fact in q.get("key_facts", []):
        alts = alternatives(fact)
        if not alts or not all(isinstance(a, str) and a.strip() for a in alts):
            yield f"bad key fact {fact!r}"
    gold = q.get("gold_sources", [])
    if not all(isinstance(g, str) for g in gold):
        yield "gold source not a string"
    elif len(set(gold)) != len(gold):
        yield "repeated gold source"


def test_fields_and_types():
    bad = _bad_rows(lambda q: list(_fields(q)))
    assert not bad, _report(bad)


def _history(q):
    history = q["history"]
    for msg in history:
        if not (isinstance(msg, dict) and set(msg) == {"role", "content"}):
            yield f"bad message {msg!r}"
        elif msg["role"] not in {"user", "assistant"}:
            yield f"bad role {msg['role']!r}"
        elif not (isinstance(msg["content"], str) and msg["content"].strip()):
            yield "empty message"
    if history:
        roles = [m.get("role") if isinstance(m, dict) else None for m in history]
        if roles[-1] != "assistant":
            yield "history must end with an assistant message"
        if roles != ["user", "assistant"] * (len(roles) // 2):
            yield "history must alternate user/assistant"
    if q["category"] == "followup" and not history:
        yield "a follow-up needs earlier turns"
    if q["category"] != "followup" and history:
        yield "only follow-ups carry history"


def test_history_messages():
    bad = _bad_rows(lambda q: list(_history(q)))
    assert not bad, _report(bad)


MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"}


def _names_subject(q):
    first = q["history"][0]["content"]
    names = {w for w in re.findall(r"[A-ZÀ-Ý][\w'-]{3,}", first) if w != first.split()[0]}
    named = sorted(w for w in names - MONTHS if re.search(rf"\b{re.escape(w)}\b", q["question"]))
    return [f"follow-up question names {named}"] if named else []


def test_followup_does_not_name_subject():
    """The subject is named in the history only; the question relies on it."""
    bad = _bad_rows(_names_subject, [q for q in QUESTIONS if q["category"] == "followup" and q["history"]])
    assert not bad, _report(bad)


def _answerable(q):
    if q["category"] == "unanswerable":
        if q["answerable"] is not False:
            yield "unanswerable question marked answerable"
        if q["gold_sources"] or q["key_facts"]:
            yield "unanswerable question with gold sources or key facts"
    else:
        if q["answerable"] is not True:
            yield "answerable question marked unanswerable"
        if not q["gold_sources"]:
            yield "answerable questions need gold sources"
        if not q["key_facts"]:
            yield "answerable questions need key facts"
    for rel in q["gold_sources"]:
        if Path(rel).is_absolute():
            yield f"gold source {rel} is absolute"
        elif not (ROOT / rel).is_file():
            yield f"gold source {rel} does not exist"


def test_answerable_flag_and_sources():
    bad = _bad_rows(lambda q: list(_answerable(q)))
    assert not bad, _report(bad)


def _texts(q) -> list[str]:
    return [source_text(g) for g in q["gold_sources"] if (ROOT / g).is_file()]


def _missing_facts(q):
    texts = _texts(q)
    missing = [fact for fact in q["key_facts"] if not any(norm(a) in t for a in alternatives(fact) for t in texts)]
    return [f"key facts not found in any gold source: {missing}"] if missing else []


def test_key_facts_in_gold_sources():
    bad = _bad_rows(_missing_facts, [q for q in QUESTIONS if q["answerable"]])
    assert not bad, _report(bad)


def test_multihop_uses_two_files():
    bad = _bad_rows(lambda q: [] if len(q["gold_sources"]) >= 2 else ["fewer than 2 gold sources"],
                    [q for q in QUESTIONS if q["category"] == "multihop"])
    assert not bad, _report(bad)


def _conflict(q):
    if q["category"] != "conflict":
        return ["conflict_values on a non-conflict question"] if "conflict_values" in q else []
    values = q.get("conflict_values")
    if not (isinstance(values, list) and len(values) == 2):
        return ["a conflict needs exactly 2 conflict_values"]
    if not all(isinstance(v, str) and v.strip() for v in values):
        return ["empty conflict value"]
    problems = ["the two conflict values are the same"] if norm(values[0]) == norm(values[1]) else []
    texts = _texts(q)
    problems += [f"conflict value {v!r} not in any gold source" for v in values if not any(norm(v) in t for t in texts)]
    return problems


def test_conflict_values():
    bad = _bad_rows(_conflict)
    assert not bad, _report(bad)


def split_of(qid: str) -> str:
    """The fixed split of a row: held out when sha256(id) is divisible by HELDOUT_EVERY."""
    return "heldout" if int(hashlib.sha256(qid.encode("utf-8")).hexdigest(), 16) % HELDOUT_EVERY == 0 else "dev"


def test_split_follows_the_id():
    bad = _bad_rows(lambda q: [] if q.get("split") == split_of(q["id"]) else
                    [f"split {q.get('split')!r}, the id gives {split_of(q['id'])!r}"])
    assert not bad, _report(bad)


def test_every_category_has_heldout_rows_and_about_a_third_is_held_out():
    held = Counter(q["category"] for q in QUESTIONS if q.get("split") == "heldout")
    assert not CATEGORIES - set(held), f"categories without held-out rows: {sorted(CATEGORIES - set(held))}"
    share = sum(held.values()) / len(QUESTIONS)
    assert 0.25 <= share <= 0.42, f"held-out share {share:.2f}"


def test_row_checks_report_bad_rows():
    """The per-row checks can fail: a broken row yields a problem for each property."""
    row = {"id": "x-01", "category": "single", "question": "Q?", "history": [{"role": "user", "content": "hi"}],
           "key_facts": ["a fact no file holds"], "gold_sources": ["corpus/none.md"], "answerable": True,
           "split": "dev", "extra": 1}
    assert any("unknown fields" in p for p in _fields(row))
    assert list(_history(row))
    assert any("does not exist" in p for p in _answerable(row))
    assert _conflict({**row, "conflict_values": ["a", "b"]})
    assert split_of("x-01") in SPLITS
