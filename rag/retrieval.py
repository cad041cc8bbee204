"""Hybrid retrieval: dense (Chroma) + BM25, fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds the exact names, aliases and
dates that a small embedding model blurs. Reciprocal-rank fusion needs no
score calibration between the two. A per-source cap then keeps one long
source from filling every slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from . import language
from .index import Index

RRF_K = 60  # the constant from Cormack et al. (2009); damps the top ranks


@dataclass
class Passage:
    chunk_id: str
    text: str
    metadata: dict
    score: float = 0.0  # fused RRF score
    similarity: float | None = None  # cosine similarity to the query (dense)
    ranks: dict[str, int] = field(default_factory=dict)  # rank in each list that found it
    reanalysed: bool = False  # its stored analysis was from another release, so it was made again

    @property
    def source(self) -> str:
        return self.metadata.get("source", "")

    @property
    def title(self) -> str:
        return self.metadata.get("title", self.source)

    @cached_property
    def analysis(self) -> language.Analysis:
        """Sentences, typed values and roles of the passage (stored at ingest)."""
        stored = language.Analysis.from_json(self.metadata.get(language.ANALYSIS_KEY), self.text)
        self.reanalysed = stored is None
        return stored or language.analyse(self.text)

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
    # Candidate ids with their ranks in each list; the texts come from the
    # keyword index (the passage exactly as in the source, without the header
    # it was embedded with; an id missing there is a half-written chunk).
    ranked_ids: dict[str, dict] = {}
    if dense:
        vec = index.embedder.embed_query(query)
        hits = index.vectors.similarity_search_by_vector_with_relevance_scores(
            vec, k=candidates, filter={"source": source} if source else None
        )
        for rank, (doc, distance) in enumerate(hits):
            ranked_ids.setdefault(doc.id, {})["dense"] = (rank, 1.0 - distance)  # cosine space
    if keyword:
        for rank, hit in enumerate(index.keywords.search(query, candidates, source=source)):
            ranked_ids.setdefault(hit.id, {})["keyword"] = (rank, None)

    stored = index.keywords.get(list(ranked_ids))
    found: dict[str, Passage] = {}
    for cid, lists in ranked_ids.items():
        if cid not in stored:
            continue
        text, meta = stored[cid]
        p = found[cid] = Passage(cid, text, meta)
        for name, (rank, value) in lists.items():
            p.ranks[name] = rank
            p.score += 1.0 / (RRF_K + rank + 1)
        p.similarity = lists.get("dense", (0, None))[1]

    # equal fused scores (rank i in one list and j in the other, against j and i) go to the
    # passage closer in meaning, then in reading order: not to an id, which changes with the release
    ranked = sorted(found.values(), key=lambda p: (-p.score, -(p.similarity if p.similarity is not None else -1.0),
                                                   p.source, p.metadata.get("start") or 0))
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
