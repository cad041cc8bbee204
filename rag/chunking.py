"""Split loaded documents into passages that keep exact offsets.

Each loaded Document is one section (or PDF page) whose `start` metadata is
its offset in the source text; the splitter's own `start_index` is added to
it, so every chunk knows exactly where it stands: `text[start:end]` of the
source is the chunk, which is what a citation opens.
"""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from . import language
from .config import Settings

# Paragraphs, then lines, then sentences, then words: keep sentences whole
# wherever the size allows, because citations are checked per sentence.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def make_splitter(chunk_size: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def signature(settings: Settings) -> str:
    """What a chunk set depends on besides the file; a change means re-chunking."""
    return f"chunks:{settings.chunk_size}/{settings.chunk_overlap};{language.VERSION}"


def split(docs: list[Document], settings: Settings) -> list[Document]:
    """Chunks with `start`/`end` offsets into the source text, an ordinal and
    the linguistic analysis of their sentences (so questions never re-parse them)."""
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    chunks: list[Document] = []
    for doc in docs:
        base = int(doc.metadata.get("start", 0))
        for piece in splitter.split_documents([doc]):
            meta = dict(piece.metadata)
            start = base + int(meta.pop("start_index"))
            meta["start"] = start
            meta["end"] = start + len(piece.page_content)
            chunks.append(Document(page_content=piece.page_content, metadata=meta))
    analyses = language.analyse_many(c.page_content for c in chunks)
    for n, (chunk, analysis) in enumerate(zip(chunks, analyses)):
        chunk.metadata["chunk"] = n
        chunk.metadata[language.ANALYSIS_KEY] = analysis.to_json()
    return chunks
