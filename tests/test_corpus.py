"""The background briefs: written in their own words, and about the world, not about the corpus.

The briefs are written from the research notes in ../shared/ (corpus-facts.md and
source-notes.md, beside the clone). Facts carry over, sentences do not: no run of
RUN_LENGTH identical words may appear in a brief and in either notes file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BRIEFS = sorted((REPO / "corpus" / "briefs").glob("*.md"))
SHARED = REPO.parent / "shared"
NOTES = ("corpus-facts.md", "source-notes.md")

# 12 words: the length the corpus issue set for "copied". Shorter shared runs are
# ordinary (names with dates and titles: "the Museo Casa de León Trotsky on ..." is 8-10).
RUN_LENGTH = 12

# Phrases that talk about the corpus instead of the world. This list checks the
# corpus files themselves (it is a data check, not product code).
META = re.compile(
    r"\b(this corpus|in this corpus|the corpus|checked (facts|sources|summary|chronology)|fact base|"
    r"seed (article|document)|this brief|the project('s)?|sources checked|"
    r"related case|could not be found|gives the same)\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    """Lower-cased words with punctuation removed (apostrophes and hyphens split words)."""
    return re.findall(r"[^\W_]+", text.lower())


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def _body(path: Path) -> str:
    """The brief's prose, without the YAML front matter (titles there are citations)."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5:]
    return text


def test_there_are_briefs():
    assert len(BRIEFS) >= 1


def test_briefs_copy_no_run_of_words_from_the_notes():
    missing = [name for name in NOTES if not (SHARED / name).is_file()]
    if missing:
        pytest.skip(f"the research notes are not beside the clone ({SHARED}: missing {', '.join(missing)})")
    notes = {name: _runs(_words((SHARED / name).read_text(encoding="utf-8")), RUN_LENGTH) for name in NOTES}
    bad = []
    for brief in BRIEFS:
        words = _words(_body(brief))
        for i in range(len(words) - RUN_LENGTH + 1):
            run = tuple(words[i:i + RUN_LENGTH])
            for name, runs in notes.items():
                if run in runs:
                    bad.append(f"{brief.name} / {name}: {' '.join(run)}")
    assert not bad, f"{len(bad)} runs of {RUN_LENGTH} words copied from the notes:\n" + "\n".join(bad)


def test_copy_check_finds_a_copied_run():
    """The check itself: a sentence copied into prose is found, a paraphrase is not."""
    source = _runs(_words("Attacked about 17:30 on 20 Aug 1940 in the study of his fortified house in Coyoacán."), RUN_LENGTH)
    copied = _runs(_words("He was attacked about 17:30 on 20 Aug 1940 in the study of his fortified house."), RUN_LENGTH)
    own = _runs(_words("About half past five on 20 August 1940 he was struck down in his study in Coyoacán."), RUN_LENGTH)
    assert source & copied
    assert not source & own


def test_briefs_have_no_sentences_about_the_corpus():
    bad = []
    for brief in BRIEFS:
        for n, line in enumerate(_body(brief).splitlines(), 1):
            for m in META.finditer(line):
                bad.append(f"{brief.name}, body line {n}: '{m.group(0)}' in: {line[:120]}")
    assert not bad, "sentences about the corpus instead of the world:\n" + "\n".join(bad)


def test_no_heading_presumes_a_perpetrator():
    """Every brief's section headings name their subject; none is the generic 'Who did it'."""
    bad = [f"{b.name}: {h}" for b in BRIEFS for h in re.findall(r"(?m)^#+ .*$", _body(b)) if "who did it" in h.lower()]
    assert not bad, "generic perpetrator headings:\n" + "\n".join(bad)
