"""Citation marks: parse them while streaming, find and strip them.

`CitationStream` turns a model's token stream, in which passages are cited
by the ids they were given in the prompt ("[3]"), into display text in which
citations are numbered 1..n in order of first appearance. An id that names
no passage is dropped, never shown. Checking what a cited sentence claims
against its passages is the verifier's work (rag/verify.py).
"""

from __future__ import annotations

import re

_MARK = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_MARK_PREFIX = re.compile(r"\[(\d{1,3}(\s*[,;]\s*(\d{1,3})?)*)?$")

# Sentence ends: . ! ? then any closing quotes/brackets and citation marks
# ("... 1940. [2]"), then space and a capital, digit or quote. The marks stay
# with the sentence they close. Abbreviations and initials are glued back.
_SENT_END = re.compile(r"(?<=[.!?])((?:[\"'”’)\]]|\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])*)\s+(?=[\"“(]?[A-Z0-9À-Ý•])")
_ABBREV = re.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|St|Mt|Gen|Col|Capt|Lt|Sgt|No|Av|Ave|vol|ch|p|pp|Jr|Sr|Sir|DS|U\.S|e\.g|i\.e|c)|\b[A-Z])\.$")


# A blank line, a bullet or a heading also ends a sentence.
_BLOCK = re.compile(r"[ \t]*#[^\n]*|[^\n]+(?:\n(?![ \t]*\n|[ \t]*[•*#-])[^\n]+)*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    for block in _BLOCK.finditer(text):
        start, stop = block.start(), block.end()
        for m in _SENT_END.finditer(text, start, stop):
            if _ABBREV.search(text[start : m.start()]):
                continue
            spans.append((start, m.end(1)))
            start = m.end()
        spans.append((start, stop))
    out = []
    for s, e in spans:
        seg = text[s:e]
        lead = len(seg) - len(seg.lstrip())
        seg = seg.strip()
        if seg:
            out.append((s + lead, s + lead + len(seg)))
    return out


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def strip_marks(text: str) -> str:
    return re.sub(r"\s*" + _MARK.pattern, "", text).strip()


def cited_numbers(sentence: str) -> list[int]:
    nums: list[int] = []
    for m in _MARK.finditer(sentence):
        for part in re.split(r"[,;]", m.group(1)):
            if part.strip() and int(part) not in nums:
                nums.append(int(part))
    return nums


class CitationStream:
    """Rewrites model ids to display numbers as tokens arrive.

    `valid_ids` are the ids the passages were given in the prompt. Feed raw
    tokens; each call returns the text that is safe to show now (a possible
    citation split across tokens, like "[1" + "2]", is held back until it is
    complete). `order` lists the model ids in order of first citation.
    """

    def __init__(self, valid_ids: set[int]):
        self.valid = valid_ids
        self.order: list[int] = []
        self._held = ""

    def _render(self, m: re.Match) -> str:
        numbers = []
        for part in re.split(r"[,;]", m.group(1)):
            pid = int(part)
            if pid not in self.valid:
                continue  # a hallucinated id: drop it
            if pid not in self.order:
                self.order.append(pid)
            n = self.order.index(pid) + 1
            if n not in numbers:
                numbers.append(n)
        return "".join(f"[{n}]" for n in numbers)

    def feed(self, token: str) -> str:
        text = self._held + token
        self._held = ""
        tail = _MARK_PREFIX.search(text)
        if tail and len(text) - tail.start() <= 16:
            text, self._held = text[: tail.start()], text[tail.start() :]
        return _MARK.sub(self._render, text)

    def close(self) -> str:
        rest, self._held = self._held, ""
        return _MARK.sub(self._render, rest)


def rewrite(text: str, valid_ids: set[int]) -> tuple[str, list[int]]:
    """Non-streaming form: (display text, model ids in display order)."""
    s = CitationStream(valid_ids)
    return s.feed(text) + s.close(), s.order
