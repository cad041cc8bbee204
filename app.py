"""The chat window: a thin Streamlit shell over the `rag` library.

Everything here is display and state. Retrieval, prompts, answering and
indexing are calls into `rag` (see DESIGN.md). Text that comes from sources,
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
import typing
import uuid

import streamlit as st
from pydantic import SecretStr, ValidationError

from rag.answering import Answer, Citation, ask_stream
from rag.config import Engine, Settings
from rag.engines import make_engine
from rag.errors import RagError
from rag.export import conversation_markdown
from rag.feedback import record_feedback
from rag.index import Index
from rag.loading import SUPPORTED
from rag.retrieval import Passage
from rag.uploads import save_upload, uploads_dir

log = logging.getLogger("rag.app")

ENGINES = list(typing.get_args(Engine))
UPLOAD_TYPES = sorted(ext.lstrip(".") for ext in SUPPORTED)
UNSUPPORTED_MARK = "⚠ not supported by the cited passage"
CONTRADICTED_MARK = "✖ contradicted by the cited passage"

st.set_page_config(page_title="Trotsky RAG: research chat with cited sources", page_icon="📚", layout="wide")


# ---------------------------------------------------------------- safe text


_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character


def safe(text: str) -> str:
    """`text` as Markdown that renders literally: no links, HTML, math, emphasis or lists.

    CommonMark lets any ASCII punctuation be backslash-escaped; line breaks
    are kept as hard breaks so a passage keeps its shape.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


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
    if _index.count():
        return None
    return _index.ingest()


@st.cache_resource(show_spinner="Starting the answer engine…", max_entries=8)
def get_engine(name: str, base_url: str, model: str, key_fingerprint: str, _settings: Settings):
    """The engine; the API key only lives in `_settings` (not hashed, never written)."""
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


def citation_card(c: Citation) -> None:
    label = f"[{c.n}] " + byline(c.title, c.author, c.date, c.location)
    contradicted = getattr(c, "verdict", "") == "contradicted"
    if not c.supported:
        label += f" — {CONTRADICTED_MARK if contradicted else UNSUPPORTED_MARK}"
    with st.expander(label):
        if contradicted:
            st.error(f"{CONTRADICTED_MARK}: {safe(c.reason)}")
        elif not c.supported:
            st.warning(UNSUPPORTED_MARK + (f": {safe(c.reason)}" if getattr(c, "reason", "") else ""))
        st.markdown(highlighted(c.text, c.quote, c.quote_start))
        source_line(c.source, c.url)


def passage_card(p: Passage) -> None:
    m = p.metadata
    with st.expander("Closest source: " + byline(p.title, str(m.get("author", "")), str(m.get("date", "")), p.location)):
        st.markdown(safe(p.text))
        source_line(p.source, str(m.get("url", "")))


def source_line(path: str, url: str) -> None:
    line = f"File: {safe(path)}"
    if url:
        if re.fullmatch(r"https?://[^\s<>()\[\]\\]+", url):
            line += f" · [{safe(url)}]({url})"
        else:
            line += f" · {safe(url)}"
    st.caption(line)


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
    for c in answer.citations:
        citation_card(c)
    if answer.refused and answer.contexts:
        st.caption("The closest sources found (they do not answer the question):")
        for p in answer.contexts:
            passage_card(p)
    st.caption(f"answered by: {safe(answer.engine)}")


def show_turn(turn: dict, settings: Settings) -> None:
    with st.chat_message("user"):
        st.markdown(safe(turn["question"]))
    with st.chat_message("assistant"):
        st.markdown(safe(turn["answer"].answer))
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
    if engine_name == "openai-compatible":
        update["base_url"] = st.text_input("Server URL (base_url)", value=settings.base_url or "",
                                           placeholder="http://127.0.0.1:11434/v1").strip() or None
        update["model"] = st.text_input("Model", value=settings.model or "").strip() or None
    if engine_name == "openai":
        update["openai_model"] = st.text_input("Model", value=settings.openai_model).strip() or settings.openai_model
    key = ""
    if engine_name in ("openai", "openai-compatible"):
        key = st.text_input("API key", type="password", key="api_key",
                            placeholder="set in the environment" if settings.openai_api_key else "",
                            help="Kept in memory for this server only; never shown or saved.").strip()
        if key:
            update["openai_api_key"] = SecretStr(key)
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
        lines: list[tuple[str, str]] = []
        saved = []
        folder = uploads_dir(settings)
        existing = set(folder.iterdir()) if folder.is_dir() else set()
        for f in uploads:
            try:
                saved.append(save_upload(f.name, f.getvalue(), settings))
            except RagError as e:
                st.error(safe(str(e)))
                lines.append(("error", str(e)))
        if saved:
            with st.status(f"Indexing {len(saved)} file(s)…", expanded=True) as status:
                bar = st.progress(0.0)
                done = {"files": 0, "total": len(saved), "chunks": 0}

                def on_progress(p) -> None:
                    if p.kind == "files":
                        done["total"] = max(1, p.n)
                    elif p.kind == "file":
                        done["files"] += 1
                        bar.progress(min(1.0, done["files"] / done["total"]), text=safe(p.source))
                    elif p.kind == "chunks":
                        done["chunks"] += p.n

                try:
                    result = index.ingest(saved, on_progress=on_progress)
                except RagError as e:
                    lines.append(("error", str(e)))
                    status.update(label="Indexing failed", state="error")
                else:
                    for r in result.files:
                        if r.status == "error":
                            lines.append(("error", f"{r.source}: {r.message}"))
                            path = settings.root / r.source
                            if path in saved and path not in existing:
                                path.unlink(missing_ok=True)  # an unreadable upload leaves nothing behind
                        elif r.status == "unchanged":
                            lines.append(("unchanged", f"{r.source}: unchanged (already indexed)"))
                        else:
                            n = r.chunks_added
                            lines.append((r.status, f"{r.source}: {r.status} ({n} passage{'s' * (n != 1)})"))
                    status.update(label="Indexing done", state="complete")
        state.ingest_log = lines
        state.uploader += 1  # a fresh, empty uploader
        if saved:
            state.flash.append(f"Ingest finished: {sum(1 for s, _ in lines if s != 'error')} ok, "
                               f"{sum(1 for s, _ in lines if s == 'error')} errors")
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
    engine = get_engine(engine_name, run_settings.base_url or "", run_settings.model or run_settings.openai_model,
                        fingerprint(key), run_settings)
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
