"""The chat window: a thin Streamlit shell over the `rag` library.

Everything here is display and state. Retrieval, prompts, answering and
indexing are calls into `rag` (see docs/architecture.md). Text that comes from sources,
models or users is escaped before Streamlit renders it as Markdown, so a
source holding HTML or Markdown shows as the literal text it is; nothing is
rendered with unsafe_allow_html.

Run: streamlit run app.py --server.headless true --server.address 127.0.0.1
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import uuid

import streamlit as st
from pydantic import SecretStr, ValidationError

from rag.answering import Answer, Citation, ask_stream
from rag.config import Settings
from rag.engines import engine_names, make_engine
from rag.engines import options as engine_options
from rag.errors import RagError
from rag.export import conversation_markdown, md_escape
from rag.feedback import record_feedback
from rag.index import Index
from rag.loading import SUPPORTED, listed_sources
from rag.retrieval import Passage
from rag.uploads import ingest_uploads, uploads_dir

log = logging.getLogger("rag.app")

ENGINES = engine_names()
UPLOAD_TYPES = sorted(ext.lstrip(".") for ext in SUPPORTED)
UNSUPPORTED_MARK = "⚠ not supported by the cited passage"
CONTRADICTED_MARK = "✖ contradicted by the cited passage"

st.set_page_config(page_title="Trotsky RAG: research chat with cited sources", page_icon="📚", layout="wide")


# ---------------------------------------------------------------- safe text


def safe(text: str) -> str:
    """`text` as Markdown that renders literally: no links, HTML, math, emphasis or lists."""
    return md_escape(text, streamlit=True)


def highlighted(text: str, quote: str, start: int) -> str:
    """The passage, escaped, with the supporting quote highlighted."""
    if quote and text[start : start + len(quote)] != quote:
        start = text.find(quote)
    if not quote or start < 0:
        return safe(text)
    end = start + len(quote)
    marked = safe(" ".join(quote.split()))  # a highlight cannot span a line break
    return f"{safe(text[:start])}:orange-background[**{marked}**]{safe(text[end:])}"


def byline(title: str, author: str = "", date: str = "", location: str = "") -> str:
    who = ", ".join(x for x in (author, date) if x)
    return " — ".join(safe(" ".join(x.split())) for x in (title, who, location) if x)


# ---------------------------------------------------------------- expensive objects


@st.cache_resource(show_spinner=False)
def open_index(data_dir: str, chroma_url: str, collection: str, embedding: str, _settings: Settings) -> Index:
    """One Index per store (the key); shared by every session of this server."""
    return Index(_settings)


@st.cache_resource(show_spinner="Indexing the corpus for the first time (this takes a minute)…")
def first_start(data_dir: str, chroma_url: str, collection: str, embedding: str, _index: Index):
    """Ingest the corpus folder once when the index starts out empty."""
    return _index.ensure_indexed()


@st.cache_resource(show_spinner="Starting the answer engine…", max_entries=8)
def get_engine(name: str, chosen: tuple, _settings: Settings):
    """The engine for `name` and the options chosen for it (secrets as fingerprints).

    A secret only lives in `_settings` (not hashed, never written)."""
    return make_engine(_settings, name)


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else ""


# ---------------------------------------------------------------- state

state = st.session_state
state.setdefault("turns", [])  # [{"id", "question", "answer": Answer}]
state.setdefault("uploader", 0)  # bumped to clear the file uploader after an ingest
state.setdefault("ingest_log", [])  # [(status, line)] of the last ingest
state.setdefault("flash", [])  # toasts to show after a rerun


def new_chat() -> None:
    state.turns = []


def history() -> list[dict]:
    messages = []
    for turn in state.turns:
        messages += [
            {"role": "user", "content": turn["question"]},
            {"role": "assistant", "content": turn["answer"].answer},
        ]
    return messages


def rate(turn: dict, key: str, settings: Settings) -> None:
    value = state.get(key)
    if value is None:
        return
    rating = "up" if value == 1 else "down"
    try:
        record_feedback(settings, turn["question"], turn["answer"], rating)
    except (RagError, OSError) as e:
        st.toast(f"Feedback not saved: {safe(str(e))}", icon=":material/warning:")
        return
    st.toast("Thanks, your feedback was saved." if rating == "up" else "Thanks, noted: this answer was not good enough.")


# ---------------------------------------------------------------- rendering


_HEADING = re.compile(r"\A[ \t]*(#{1,6})[ \t]+([^\n]+)\n*")


def with_heading(text: str, quote: str = "", start: int = 0) -> None:
    """A passage whose first line is a Markdown heading ("## What followed"):
    the heading rendered as a heading (escaped), the rest as text."""
    m = _HEADING.match(text)
    if m:
        st.markdown("##### " + safe(m.group(2).strip()))
        text, start = text[m.end():], start - m.end()
    st.markdown(highlighted(text, quote, start) if quote else safe(text))


def citation_card(c: Citation, works: list[dict[str, str]] = ()) -> None:
    """One citation: the passage with its quote marked, the file, and the works the file names."""
    label = f"[{c.n}] " + byline(c.title, c.author, c.date, c.location)
    contradicted = getattr(c, "verdict", "") == "contradicted"
    if not c.supported:
        label += f" — {CONTRADICTED_MARK if contradicted else UNSUPPORTED_MARK}"
    with st.expander(label):
        if contradicted:
            st.error(f"{CONTRADICTED_MARK}: {safe(c.reason)}")
        elif not c.supported:
            st.warning(UNSUPPORTED_MARK + (f": {safe(c.reason)}" if getattr(c, "reason", "") else ""))
        with_heading(c.text, c.quote, c.quote_start)
        source_line(c.source, c.url)
        if works:
            st.caption("Sources of this brief:\n" + "\n".join(f"- {work_line(w)}" for w in works))


def work_line(w: dict[str, str]) -> str:
    text = ", ".join(safe(w[k]) for k in ("title", "author", "publisher") if w.get(k))
    url = w.get("url", "")
    if re.fullmatch(r"https?://[^\s<>()\[\]\\]+", url):
        return f"[{text or safe(url)}]({url})"
    return f"{text} ({safe(url)})" if url else text


def passage_card(p: Passage) -> None:
    m = p.metadata
    with st.expander("Closest source: " + byline(p.title, str(m.get("author", "")), str(m.get("date", "")), p.location)):
        with_heading(p.text)
        source_line(p.source, str(m.get("url", "")))


def source_line(path: str, url: str) -> None:
    line = f"File: {safe(path)}"
    if url:
        if re.fullmatch(r"https?://[^\s<>()\[\]\\]+", url):
            line += f" · [{safe(url)}]({url})"
        else:
            line += f" · {safe(url)}"
    st.caption(line)


def answer_text(answer: Answer) -> None:
    """The short answer first and prominent, then the supporting sentences."""
    short = answer.short_answer.strip()
    if short and answer.answer.startswith(short) and not answer.refused:
        st.markdown("#### " + safe(short))
        rest = answer.answer[len(short):].strip()
        if rest:
            st.markdown(safe(rest))
    else:
        st.markdown(safe(answer.answer))
    if answer.disagreement:
        differing = [p for p in answer.parts if len(p.get("values", [])) > 1]
        if differing:
            st.caption("What each source says")
            disputed = any(v.get("disputed_by") for p in differing for v in p["values"])
            st.table([{"asked": p["asked"], "value": v["value"], "source": s,
                       "citation": " ".join(f"[{n}]" for n in v["citations"]),
                       **({"disputed by": " ".join(f"[{n}]" for n in v.get("disputed_by", []))} if disputed else {})}
                      for p in differing for v in p["values"] for s in v["sources"]])


def answer_body(answer: Answer) -> None:
    """Everything under the answer text: notices, unsupported claims, source cards."""
    for notice in answer.notices:
        st.warning(safe(notice))
    verdicts = {c["text"]: c for c in getattr(answer, "claims", [])}
    for claim in answer.unsupported:
        v = verdicts.get(claim, {})
        if v.get("verdict") == "contradicted":
            said = f" — the passage says: {safe(v['passage_value'])}" if v.get("passage_value") else ""
            st.error(f"{CONTRADICTED_MARK}: “{safe(claim)}” ({safe(v['reason'])}){said}")
        else:
            st.warning(f"{UNSUPPORTED_MARK}: “{safe(claim)}”" + (f" ({safe(v['reason'])})" if v.get("reason") else ""))
    meta = {p.chunk_id: p.metadata for p in answer.contexts}
    for c in answer.citations:
        citation_card(c, listed_sources(meta.get(c.chunk_id, {})))
    if answer.refused and answer.contexts:
        st.caption("The closest sources found (they do not answer the question):")
        for p in answer.contexts:
            passage_card(p)
    st.caption(f"answered by: {safe(answer.engine)}")


def show_turn(turn: dict, settings: Settings) -> None:
    with st.chat_message("user"):
        st.markdown(safe(turn["question"]))
    with st.chat_message("assistant"):
        answer_text(turn["answer"])
        answer_body(turn["answer"])
        key = f"rating-{turn['id']}"
        st.feedback("thumbs", key=key, on_change=rate, args=(turn, key, settings))


def stream_answer(question: str, **kwargs) -> Answer | None:
    """Stream the answer text as it comes; return the finished Answer.

    On "reset" (a model failed mid-answer) the text so far is dropped and the
    extractive answer streams in its place, under a warning.
    """
    events = ask_stream(question, history(), **kwargs)
    done: dict = {}

    def tokens():
        for event in events:
            if event.kind == "token" and event.text:
                yield safe(event.text)
            elif event.kind == "reset":
                done["reset"] = event.text
                return
            elif event.kind == "done":
                done["answer"] = event.answer

    live = st.empty()
    with live.container():
        st.write_stream(tokens())
    while (reason := done.pop("reset", None)) is not None:
        live.empty()
        with live.container():
            st.warning(safe(reason or "The model failed while answering; the extractive answer follows."))
            st.write_stream(tokens())
    return done.get("answer")


# ---------------------------------------------------------------- the page

try:
    settings = Settings()
except ValidationError as e:
    st.error(f"The settings are invalid: {safe(str(e.errors()[0].get('msg', e)))} (check the RAG_* variables and .env)")
    st.stop()

store_key = (str(settings.data_path), settings.chroma_url or "", settings.collection, settings.embedding)
try:
    index = open_index(*store_key, settings)
    report = first_start(*store_key, index)
except RagError as e:
    st.error(safe(str(e)))
    st.stop()
for message in state.flash:
    st.toast(safe(message))
state.flash = []

st.title("Research chat: Trotsky and attacks on dissidents abroad")
st.caption(
    "Ask about the 1940 assassination of Leon Trotsky and Soviet and Russian attacks on dissidents abroad. "
    "Every claim in an answer is cited [n], and each citation opens the exact passage it rests on."
)

sources = index.sources()

with st.sidebar:
    st.header("Answering")
    default_engine = ENGINES.index(settings.engine) if settings.engine in ENGINES else 0
    engine_name = st.selectbox("Answer engine", ENGINES, index=default_engine,
                               help="auto: a configured model if there is one, otherwise extractive (offline).")
    update: dict = {"engine": engine_name}
    chosen: list[str] = []  # what the engine is cached under (a secret as its fingerprint)
    for option in engine_options(engine_name):  # the engine's own inputs (rag/engines.py)
        current = getattr(settings, option.field)
        if option.secret:
            value = st.text_input(option.label, type="password", key=f"secret-{option.field}",
                                  placeholder="set in the environment" if current else "",
                                  help="Kept in memory for this server only; never shown or saved.").strip()
            if value:
                update[option.field] = SecretStr(value)
            chosen.append(fingerprint(value))
            continue
        value = st.text_input(option.label, value=current or "", placeholder=option.placeholder,
                              key=f"{engine_name}-{option.field}").strip()
        # Cleared: an optional setting becomes unset, a required one keeps its value.
        update[option.field] = value or (None if Settings.model_fields[option.field].default is None else current)
        chosen.append(str(update[option.field] or ""))
    k = st.slider("Passages to retrieve (k)", 1, 20, min(settings.k, 20))
    update["k"] = k
    options = ["all"] + [s["source"] for s in sources]
    if state.get("source_filter") not in options:
        state["source_filter"] = "all"
    chosen_source = st.selectbox("Search only in", options, key="source_filter")
    run_settings = settings.model_copy(update=update)

    st.divider()
    conversation = st.container()  # filled at the end, once this run's answer is in

    st.divider()
    st.header("Corpus")
    table = st.container()
    if report is not None and report.errors:
        st.warning(safe(f"The first indexing of {settings.corpus_dir} skipped {len(report.errors)} file(s): "
                        + "; ".join(f"{f.source}: {f.message}" for f in report.errors)))
    uploads = st.file_uploader("Add sources", type=UPLOAD_TYPES, accept_multiple_files=True,
                               key=f"uploader-{state.uploader}", max_upload_size=max(1, math.ceil(settings.max_file_mb)),
                               help=f"Saved into {uploads_dir(settings)} and indexed.")
    if st.button("Ingest", disabled=not uploads, icon=":material/upload_file:"):
        with st.status(f"Indexing {len(uploads)} file(s)…", expanded=True) as status:
            bar = st.progress(0.0)
            done = {"files": 0, "total": len(uploads)}

            def on_progress(p) -> None:
                if p.kind == "files":
                    done["total"] = max(1, p.n)
                elif p.kind == "file":
                    done["files"] += 1
                    bar.progress(min(1.0, done["files"] / done["total"]), text=safe(p.source))

            result = ingest_uploads([(f.name, f.getvalue()) for f in uploads], index, settings, on_progress)
            status.update(label="Indexing failed" if result.failed else "Indexing done",
                          state="error" if result.failed or not result.ok else "complete")
        state.ingest_log = result.lines
        state.uploader += 1  # a fresh, empty uploader
        state.flash.append(f"Ingest finished: {result.ok} ok, {result.errors} errors")
        st.rerun()
    for status_name, line in state.ingest_log:
        if status_name == "error":
            st.error(safe(line))
        else:
            mark = ":material/check_circle:" if status_name in ("added", "updated") else ":material/check:"
            st.markdown(f"{mark} {safe(line)}")

    if sources:
        to_remove = st.selectbox("Remove a source from the index", [s["source"] for s in sources], key="remove_choice")
        if st.button("Remove", icon=":material/delete:"):
            try:
                gone = index.remove(to_remove)
            except RagError as e:
                st.error(safe(str(e)))
            else:
                state.flash.append(f"Removed {gone.source} ({gone.chunks_removed} chunks); the file stays on disk.")
                st.rerun()

    with table:
        total = sum(s["chunks"] for s in sources)
        st.caption(safe(f"{len(sources)} sources, {total} passages indexed (names relative to {settings.corpus_dir})"))
        if sources:
            prefix = f"{settings.corpus_dir.as_posix().strip('/')}/"
            st.table([{"source": safe(s["source"].removeprefix(prefix)), "chunks": s["chunks"]} for s in sources],
                     hide_index=True, height=min(400, 38 + 35 * len(sources)))

# The engine: its errors (a missing key, no server) are shown, never a traceback.
engine = None
try:
    engine = get_engine(engine_name, tuple(chosen), run_settings)
except RagError as e:
    st.error(safe(str(e)))

for turn in state.turns:
    show_turn(turn, run_settings)

question = st.chat_input("Ask a question about the sources…", disabled=engine is None)
if question and engine is not None:
    with st.chat_message("user"):
        st.markdown(safe(question))
    with st.chat_message("assistant"):
        try:
            answer = stream_answer(question, index=index, settings=run_settings, engine=engine,
                                   source=None if chosen_source == "all" else chosen_source)
        except RagError as e:
            st.error(safe(str(e)))
            answer = None
        except Exception as e:  # a bug or a broken store: say so, log the details
            log.exception("answering failed")
            st.error(f"Something went wrong while answering ({type(e).__name__}); the details are in the server log.")
            answer = None
    if answer is not None:
        turn = {"id": uuid.uuid4().hex, "question": question, "answer": answer}
        state.turns.append(turn)
        # Shown in full by the same code as every later rerun, so nothing moves.
        st.rerun()

with conversation:
    st.header("Conversation")
    left, right = st.columns(2)
    left.button("New chat", on_click=new_chat, icon=":material/add_comment:", disabled=not state.turns, width="stretch")
    right.download_button("Export", data=conversation_markdown(state.turns) if state.turns else "",
                          file_name="conversation.md", mime="text/markdown", icon=":material/download:",
                          disabled=not state.turns, on_click="ignore", width="stretch")
