"""One LangChain VectorStore that writes Chroma and the keyword index together.

LangChain's indexing API (`langchain_core.indexing.index`) talks to a single
VectorStore: it adds new chunks, then records them; it deletes stale chunks,
then forgets them. Giving it this store means every add and delete reaches
both indexes in the same call, in a fixed order (Chroma, then keywords, then
the record manager), so after a crash at any point a re-run converges: what
is not recorded is written again (both writes are upserts), and what is
recorded but stale is deleted again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from .keyword import KeywordIndex, chunk_header

EMBED_BATCH = 32


class HybridStore(VectorStore):
    def __init__(self, vectors: Chroma, keywords: KeywordIndex):
        self.vectors = vectors
        self.keywords = keywords
        # Called with the number of chunks written, after each batch.
        self.on_written: Callable[[int], None] | None = None

    @property
    def embeddings(self) -> Embeddings | None:
        return self.vectors.embeddings

    def add_documents(self, documents: list[Document], ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        ids = list(ids) if ids else [d.id for d in documents]
        for b in range(0, len(documents), EMBED_BATCH):
            docs, batch_ids = documents[b : b + EMBED_BATCH], ids[b : b + EMBED_BATCH]
            # Embedded with its header (title / section); the passage text itself
            # is kept, unaltered, in the keyword index.
            self.vectors.add_documents(
                [Document(page_content=f"{chunk_header(d.metadata)}\n\n{d.page_content}", metadata=d.metadata) for d in docs],
                ids=batch_ids,
            )
            self.keywords.upsert(batch_ids, [d.page_content for d in docs], [d.metadata for d in docs])
            if self.on_written:
                self.on_written(len(docs))
        return ids

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *, ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        texts = list(texts)
        metadatas = metadatas or [{} for _ in texts]
        docs = [Document(page_content=t, metadata=m) for t, m in zip(texts, metadatas, strict=True)]
        return self.add_documents(docs, ids=ids)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        if ids:
            for b in range(0, len(ids), 5000):
                self.vectors.delete(ids[b : b + 5000])
            self.keywords.delete(ids)
        return True

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return self.vectors.similarity_search(query, k=k, **kwargs)

    @classmethod
    def from_texts(cls, *args: Any, **kwargs: Any) -> HybridStore:
        raise NotImplementedError("open a HybridStore through rag.index.Index")
