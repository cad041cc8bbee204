"""A conversation as a Markdown document a researcher can keep or share.

Each question is followed by its answer and the sources it cites (with the
supporting quote), and the document ends with a bibliography of every
source cited. Text that came from sources or models is escaped, so a
passage holding HTML or Markdown stays text in any viewer. Only the turns
are read: settings (and any API key) never reach this module.
"""

from __future__ import annotations

import datetime as dt
import re

from .answering import Answer, Citation
from .loading import listed_sources

_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_MARK = re.compile(r"\\\[(\d{1,3})\\\](?!\()")  # an escaped citation mark, not followed by "(" (a link)


_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def md_escape(text: str, *, streamlit: bool = False) -> str:
    """`text` as Markdown that renders literally: the one escaper of the project.

    For a Markdown file (the default) the characters that make Markdown or
    HTML are escaped and [n] marks stay readable. For Streamlit
    (`streamlit=True`), whose Markdown adds colour directives, math and
    emoji shortcodes, every ASCII punctuation character is escaped
    (CommonMark allows it) and line breaks are kept as hard breaks.
    """
    text = str(text)
    if streamlit:
        return _ASCII_PUNCTUATION.sub(r"\\\1", text).replace("\n", "  \n")
    escaped = _SPECIAL.sub(r"\\\1", text)
    escaped = re.sub(r"(?m)^(\s*)([#+\-=])", r"\1\\\2", escaped)  # line-start block markers
    escaped = re.sub(r"(?m)^(\s*\d+)([.)])", r"\1\\\2", escaped)  # "1." would start a list
    return _MARK.sub(r"[\1]", escaped)


def _line(text: str) -> str:
    return " ".join(text.split())


def _byline(*parts: str) -> str:
    return " — ".join(p for p in parts if p)


def _citation(c: Citation) -> list[str]:
    head = f"- [{c.n}] **{md_escape(_line(c.title))}**"
    meta = _byline(", ".join(md_escape(_line(x)) for x in (c.author, c.date) if x), md_escape(_line(c.location)))
    lines = [head + (f" — {meta}" if meta else "")]
    lines.append(f"  - file: {md_escape(c.source)}" + (f" ({md_escape(c.url)})" if c.url else ""))
    if c.quote:
        lines.append(f"  - quote: “{md_escape(_line(c.quote))}”")
    if not c.supported:
        lines.append("  - ⚠ not supported by the cited passage")
    return lines


def _work(s: dict[str, str]) -> str:
    """One work a brief names: title, author or publisher, and the address as a link."""
    parts = [md_escape(_line(s[k])) for k in ("title", "author", "publisher") if s.get(k)]
    text = ", ".join(parts)
    url = s.get("url", "")
    if re.fullmatch(r"https?://[^\s<>()\[\]\\]+", url):
        text = f"{text} <{url}>" if text else f"<{url}>"
    elif url:
        text += f" ({md_escape(url)})"
    return text


def conversation_markdown(turns: list[dict]) -> str:
    """Markdown for turns of the form {"question": str, "answer": Answer}."""
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    out = [
        "# Research conversation",
        "",
        f"Exported {now}. Every claim is cited; the passages cited are listed under each answer.",
    ]
    cited: dict[str, Citation] = {}
    works: dict[str, list[dict[str, str]]] = {}  # source file -> the works its front matter lists
    for i, turn in enumerate(turns, 1):
        answer: Answer = turn["answer"]
        out += ["", f"## {i}. {md_escape(_line(turn['question']))}", "", md_escape(answer.answer.strip()), ""]
        out.append(f"*answered by: {md_escape(answer.engine)}*")
        for notice in answer.notices:
            out += ["", f"> **Notice:** {md_escape(_line(notice))}"]
        if answer.unsupported:
            out += ["", "**⚠ Not supported by the cited passage:**", ""]
            out += [f"- {md_escape(_line(claim))}" for claim in answer.unsupported]
        if answer.citations:
            out += ["", "**Sources**", ""]
            meta = {p.chunk_id: p.metadata for p in answer.contexts}
            for c in answer.citations:
                out += _citation(c)
                cited.setdefault(c.source, c)
                if c.source not in works and listed_sources(meta.get(c.chunk_id, {})):
                    works[c.source] = listed_sources(meta[c.chunk_id])
        elif answer.refused and answer.contexts:
            out += ["", "**Closest sources** (they do not answer the question)", ""]
            out += [f"- {md_escape(_line(p.title))} — {md_escape(p.source)}" for p in answer.contexts]
    out += ["", "## Bibliography", ""]
    if not cited:
        out.append("No sources were cited.")
    for source in sorted(cited, key=lambda s: (cited[s].title.lower(), s)):
        c = cited[source]
        parts = [f"**{md_escape(_line(c.title))}**"]
        parts += [md_escape(_line(x)) for x in (c.author, c.date, c.url) if x]
        parts.append(f"file: {md_escape(source)}")
        out.append("- " + ". ".join(parts))
        if works.get(source):
            out.append("  - Sources of this brief:")
            out += [f"    - {_work(s)}" for s in works[source]]
    return "\n".join(out) + "\n"
