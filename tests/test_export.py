"""conversation_markdown: answers, their sources and a bibliography, escaped."""

from __future__ import annotations

from rag.answering import Answer, Citation
from rag.export import conversation_markdown
from rag.retrieval import Passage


def citation(n, source, title, quote, supported=True, **kw):
    text = f"Before. {quote} After."
    return Citation(n=n, chunk_id=f"id{n}", source=source, title=title, quote=quote, supported=supported,
                    text=text, quote_start=8, **kw)


def test_answers_citations_and_bibliography():
    a1 = Answer("Who killed Bandera?", "Who killed Bandera?", "Bohdan Stashynsky did. [1] In Munich. [2]",
                False, "extractive", citations=[
                    citation(1, "corpus/briefs/bandera.md", "Bandera brief", "Stashynsky killed Bandera.",
                             author="Project team", date="2024", location="What happened"),
                    citation(2, "corpus/articles/a.md", "The article", "It was in Munich.", supported=False,
                             url="https://example.org/a"),
                ], notices=["The question was longer than 2000 characters; only its start was used."],
                unsupported=["In Munich."])
    a2 = Answer("And later?", "And later? (Bandera)", "He defected. [1]", False, "extractive",
                citations=[citation(1, "corpus/briefs/bandera.md", "Bandera brief", "He defected.")])
    md = conversation_markdown([{"question": a1.question, "answer": a1}, {"question": "And later?", "answer": a2}])
    assert "## 1. Who killed Bandera?" in md and "## 2. And later?" in md
    assert "Bohdan Stashynsky did. [1] In Munich. [2]" in md
    assert "[1] **Bandera brief** — Project team, 2024 — What happened" in md
    assert "corpus/briefs/bandera.md" in md and "“Stashynsky killed Bandera.”" in md
    assert "⚠ not supported by the cited passage" in md
    assert "only its start was used" in md and "answered by: extractive" in md
    bibliography = md.split("## Bibliography", 1)[1]
    assert bibliography.count("corpus/briefs/bandera.md") == 1  # distinct sources
    assert "The article" in bibliography and "https://example.org/a" in bibliography
    assert "Project team" in bibliography and "2024" in bibliography


def test_refusals_list_the_closest_sources():
    p = Passage("c1", "text", {"source": "corpus/briefs/markov.md", "title": "Markov"})
    a = Answer("Capital of Australia?", "Capital of Australia?", "The sources do not say.", True, "extractive",
               contexts=[p])
    md = conversation_markdown([{"question": a.question, "answer": a}])
    assert "The sources do not say." in md
    assert "Markov — corpus/briefs/markov.md" in md
    assert "No sources were cited." in md


def test_source_text_cannot_inject_html_or_links():
    quote = "<script>alert(1)</script> [click](javascript:alert(2))"
    a = Answer("q", "q", quote + " [1]", False, "extractive",
               citations=[citation(1, "corpus/uploads/x.md", "<b>Title</b>", quote)])
    md = conversation_markdown([{"question": "# q", "answer": a}])
    assert "<script>" not in md and "<b>" not in md
    assert "\\<script\\>" in md and "\\[click\\](javascript" in md
    assert "## 1. \\# q" in md
    assert md.rstrip().endswith("file: corpus/uploads/x.md")


def test_bibliography_lists_the_works_a_brief_names(tmp_path):
    """A brief's front-matter `sources` list survives loading and reaches the bibliography."""
    from rag.loading import load_file

    brief = tmp_path / "brief.md"
    brief.write_text(
        "---\ntitle: \"A brief\"\nsources:\n"
        "  - title: \"Lev Sedov\"\n    publisher: \"Wikipedia\"\n    url: \"https://en.wikipedia.org/wiki/Lev_Sedov\"\n"
        "  - title: \"A Very Expensive Poison\"\n    author: \"Luke Harding\"\n"
        "---\nLev Sedov died in Paris in 1938.\n", encoding="utf-8")
    doc = load_file(brief, root=tmp_path, max_bytes=10**6)[0]
    assert isinstance(doc.metadata["sources"], str)  # Chroma stores scalars only
    p = Passage("b1", doc.page_content, doc.metadata)
    c = Citation(n=1, chunk_id="b1", source="brief.md", title="A brief", quote="Lev Sedov died in Paris in 1938.",
                 supported=True, text=doc.page_content, quote_start=0)
    a = Answer("Where did Sedov die?", "Where did Sedov die?", "In Paris. [1]", False, "extractive",
               citations=[c], contexts=[p])
    bibliography = conversation_markdown([{"question": a.question, "answer": a}]).split("## Bibliography", 1)[1]
    assert "Sources of this brief:" in bibliography
    assert "Lev Sedov, Wikipedia <https://en.wikipedia.org/wiki/Lev_Sedov>" in bibliography
    assert "A Very Expensive Poison, Luke Harding" in bibliography


def test_bibliography_without_listed_works_has_no_sources_line():
    a = Answer("q", "q", "x [1]", False, "extractive",
               citations=[citation(1, "corpus/articles/a.md", "The article", "x")],
               contexts=[Passage("id1", "x", {"source": "corpus/articles/a.md", "sources": "Kotkin; Plokhy"})])
    assert "Sources of this brief" not in conversation_markdown([{"question": "q", "answer": a}])
