"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds the exact names, aliases and
dates that a small embedding model blurs. Reciprocal-rank fusion needs no
score calibration between the two. A per-source cap then keeps one long
source from filling every slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .index import Index
from .keyword import query_terms

RRF_K = 60  # the constant from Cormack et al. (2009); damps the top ranks


@dataclass
class Passage:
    chunk_id: str
    text: str
    metadata: dict
    score: float = 0.0  # fused RRF score
    similarity: float | None = None  # cosine similarity to the query (dense)
    bm25: float | None = None
    matched: float = 0.0  # share of the query's content words present
    ranks: dict[str, int] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.metadata.get("source", "")

    @property
    def title(self) -> str:
        return self.metadata.get("title", self.source)

    @property
    def location(self) -> str:
        """Page or section, as a reader would cite it."""
        if "page" in self.metadata:
            return f"p. {self.metadata['page']}"
        return self.metadata.get("section", "")

    def to_dict(self) -> dict:
        d = {
            "chunk_id": self.chunk_id,
            "source": self.source,
            "title": self.title,
            "text": self.text,
            "score": round(self.score, 6),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "start": self.metadata.get("start"),
            "end": self.metadata.get("end"),
        }
        for key in ("page", "section", "author", "date", "url"):
            if key in self.metadata:
                d[key] = self.metadata[key]
        return d


def _matched(terms: list[str], text: str) -> float:
    """Share of query terms in the text; long words match on their first six
    letters, a crude stem ("poisoned" finds "poisoning")."""
    if not terms:
        return 0.0
    low = text.lower()
    return sum(1 for t in terms if (t if len(t) <= 6 else t[:6]) in low) / len(terms)


def search(
    index: Index,
    query: str,
    *,
    k: int,
    source: str | None = None,
    candidates: int = 30,
    max_per_source: int = 3,
    dense: bool = True,
    keyword: bool = True,
) -> list[Passage]:
    """The k best passages for `query` (optionally within one source)."""
    query = query.strip()
    if not query:
        return []
    found: dict[str, Passage] = {}

    if dense:
        vec = index.embedder.embed_query(query)
        hits = index.vectors.similarity_search_by_vector_with_relevance_scores(
            vec, k=candidates, filter={"source": source} if source else None
        )
        for rank, (doc, distance) in enumerate(hits):
            p = found.setdefault(doc.id, Passage(doc.id, doc.page_content, doc.metadata))
            p.similarity = 1.0 - distance  # cosine space
            p.ranks["dense"] = rank
            p.score += 1.0 / (RRF_K + rank + 1)

    if keyword:
        kw_hits = index.keywords.search(query, candidates, source=source)
        missing = [h.id for h in kw_hits if h.id not in found]
        stored = index.keywords.get(missing) if missing else {}
        for rank, hit in enumerate(kw_hits):
            if hit.id not in found:
                if hit.id not in stored:
                    continue
                text, meta = stored[hit.id]
                found[hit.id] = Passage(hit.id, text, meta)
            p = found[hit.id]
            p.bm25 = hit.score
            p.ranks["keyword"] = rank
            p.score += 1.0 / (RRF_K + rank + 1)

    terms = query_terms(query)
    for p in found.values():
        p.matched = _matched(terms, p.text)
    ranked = sorted(found.values(), key=lambda p: p.score, reverse=True)
    return diversify(ranked, k, max_per_source)


def diversify(ranked: list[Passage], k: int, max_per_source: int) -> list[Passage]:
    """Top k, at most `max_per_source` from one source unless nothing else is left."""
    picked: list[Passage] = []
    held: list[Passage] = []
    per: dict[str, int] = {}
    for p in ranked:
        if len(picked) == k:
            break
        if per.get(p.source, 0) < max_per_source:
            picked.append(p)
            per[p.source] = per.get(p.source, 0) + 1
        else:
            held.append(p)
    picked += held[: k - len(picked)]
    return picked
