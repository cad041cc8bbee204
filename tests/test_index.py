"""Ingestion into a real persistent Chroma + keyword index, and server mode."""

from __future__ import annotations


import pytest
from fpdf import FPDF

from rag.index import EmbedderMismatch, Index, IndexBusy, IndexUnavailable, UnknownSource
from rag.retrieval import search

from conftest import ROOT, make_settings


def test_corpus_ingested_with_exact_offsets(corpus_index):
    sources = {s["source"]: s for s in corpus_index.sources()}
    assert "corpus/articles/trotsky-assassination-soviet-pursuit.md" in sources
    assert len(sources) >= 18 and all(s["chunks"] > 0 for s in sources.values())
    c = corpus_index.consistency()
    assert c["chunks"] > 0
    assert c["only_in_chroma"] == c["only_in_keywords"] == c["unrecorded"] == c["recorded_but_missing"] == 0
    # Every passage is the exact slice of its file named by its offsets, and
    # Chroma embedded that same passage under its "title / section" header.
    got = corpus_index.vectors.get(include=["documents"])
    stored = corpus_index.keywords.get(got["ids"])
    files = {}
    for cid, embedded in zip(got["ids"], got["documents"]):
        text, meta = stored[cid]
        src = meta["source"]
        files.setdefault(src, (ROOT / src).read_text(encoding="utf-8"))
        assert files[src][meta["start"]:meta["end"]] == text
        assert embedded.startswith(meta["title"]) and embedded.endswith(text)


def test_seed_article_metadata(corpus_index):
    hits = search(corpus_index, "Mercader ice axe raincoat", k=10,
                  source="corpus/articles/trotsky-assassination-soviet-pursuit.md")
    assert hits and all(h.source.endswith("trotsky-assassination-soviet-pursuit.md") for h in hits)
    meta = hits[0].metadata
    assert meta["author"] == "Safak Costu" and meta["kind"] == "news article"


def test_reingest_is_a_noop(tmp_index):
    first = tmp_index.ingest()
    assert first.count("added") == 3 and first.chunks_added > 0
    again = tmp_index.ingest()
    assert again.count("unchanged") == 3 and again.chunks_added == 0 and again.chunks_removed == 0
    # Even with the file-level shortcut gone (no catalogue), nothing is re-embedded:
    # the chunk ids (content hashes) are already in Chroma.
    for s in tmp_index.sources():
        tmp_index.state.drop_source(s["source"])
    third = tmp_index.ingest()
    assert third.chunks_added == 0 and third.chunks_removed == 0
    assert tmp_index.count() == first.chunks_added


def test_changed_file_replaces_its_chunks(tmp_index, small_corpus):
    tmp_index.ingest()
    before = tmp_index.count()
    f = small_corpus / "markov.md"
    f.write_text(f.read_text(encoding="utf-8") + "\n\nA zebra-striped umbrella was reported by nobody.\n", encoding="utf-8")
    report = tmp_index.ingest()
    assert [r.status for r in report.files if r.source.endswith("markov.md")] == ["updated"]
    assert report.chunks_added >= 1
    hits = search(tmp_index, "a zebra-striped umbrella reported by nobody", k=3)
    assert "zebra-striped" in hits[0].text
    assert tmp_index.count() == before + report.chunks_added - report.chunks_removed
    assert tmp_index.consistency()["recorded_but_missing"] == 0


def test_remove_and_sync(tmp_index, small_corpus):
    tmp_index.ingest()
    name = next(s["source"] for s in tmp_index.sources() if s["source"].endswith("markov.md"))
    result = tmp_index.remove(name)
    assert result.chunks_removed > 0
    assert all(not h.source.endswith("markov.md") for h in search(tmp_index, "Markov umbrella ricin", k=10))
    with pytest.raises(UnknownSource, match="rag sources|Did you mean"):
        tmp_index.remove("corpus/nothing.md")
    tmp_index.ingest()  # markov comes back
    (small_corpus / "bandera.md").unlink()
    report = tmp_index.ingest(sync=True)
    assert [r.source for r in report.files if r.status == "removed"] == [name.replace("markov", "bandera")]
    assert not any(s["source"].endswith("bandera.md") for s in tmp_index.sources())
    c = tmp_index.consistency()
    assert c["only_in_chroma"] == c["only_in_keywords"] == c["unrecorded"] == 0


def _bad_files(d):
    (d / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage without xref\n%%EOF")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (d / "empty.md").write_text("   \n", encoding="utf-8")
    (d / "data.xyz").write_text("unsupported", encoding="utf-8")
    (d / "undecodable.txt").write_bytes(b"ok \x81\x8d\x8f\x90\x9d" * 50)


def test_bad_files_are_reported_and_the_rest_indexed(tmp_index, small_corpus):
    tmp_index.ingest()
    before = tmp_index.count()
    _bad_files(small_corpus)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, "Nikolai Khokhlov was poisoned with radioactive thallium in Frankfurt in 1957.")
    pdf.output(str(small_corpus / "good.pdf"))
    report = tmp_index.ingest()
    errors = {r.source.split("/")[-1]: r.message for r in report.errors}
    assert set(errors) == {"corrupt.pdf", "binary.txt", "empty.md", "data.xyz", "undecodable.txt"}
    assert "pdf" in errors["corrupt.pdf"].lower() and "binary" in errors["binary.txt"]
    assert "empty" in errors["empty.md"] and "unsupported" in errors["data.xyz"]
    assert "decode" in errors["undecodable.txt"]
    assert report.count("added") == 1 and tmp_index.count() > before
    hit = search(tmp_index, "thallium Frankfurt", k=1)[0]
    assert hit.source.endswith("good.pdf") and hit.metadata["page"] == 1


def test_file_that_turns_bad_keeps_its_chunks(tmp_index, small_corpus):
    tmp_index.ingest()
    before = tmp_index.count()
    (small_corpus / "markov.md").write_bytes(b"\x00\x01\x02" * 100)
    report = tmp_index.ingest()
    assert [r.status for r in report.files if r.source.endswith("markov.md")] == ["error"]
    assert tmp_index.count() == before


def test_embedder_mismatch_says_how_to_rebuild(tmp_path, small_corpus, embedder):
    settings = make_settings(tmp_path, root=tmp_path, corpus_dir=small_corpus)
    index = Index(settings, embedder=embedder)
    index.ingest()
    index.client.get_collection(settings.collection).modify(metadata={"embedder": "openai:text-embedding-3-small"})
    with pytest.raises(EmbedderMismatch, match="rag ingest --rebuild"):
        Index(settings, embedder=embedder)
    rebuilt = Index(settings, embedder=embedder, rebuild=True)
    assert rebuilt.count() == 0
    assert rebuilt.ingest().count("added") == 3


def test_second_writer_is_refused(tmp_index):
    with tmp_index._writing(0):
        with pytest.raises(IndexBusy, match="another ingest"):
            tmp_index.ingest()


def test_server_mode_against_real_chroma(tmp_path, small_corpus, embedder, chroma_server):
    settings = make_settings(tmp_path, root=tmp_path, corpus_dir=small_corpus, chroma_url=chroma_server.url)
    index = Index(settings, embedder=embedder)
    report = index.ingest()
    assert report.count("added") == 3
    assert index.ingest().chunks_added == 0
    hits = search(index, "ricin umbrella Waterloo Bridge", k=3)
    assert hits[0].source.endswith("markov.md")
    assert not (settings.data_path / "chroma").exists()  # vectors live in the server
    chroma_server.stop()
    with pytest.raises(IndexUnavailable, match=chroma_server.url):
        Index(settings, embedder=embedder)
    chroma_server.start()
    again = Index(settings, embedder=embedder)
    assert search(again, "ricin umbrella", k=1)[0].source.endswith("markov.md")


def test_an_index_from_an_older_release_still_answers_and_says_to_reingest(tmp_path, embedder, monkeypatch):
    from rag import language
    from rag.answering import ask

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kiln.md").write_text("# The kiln\n\nThe potter Ada Wren fired the first kiln in Stoke in 1921.\n", encoding="utf-8")
    settings = make_settings(tmp_path, root=tmp_path, corpus_dir=corpus)
    with monkeypatch.context() as m:  # the index as an older linguistic layer left it
        m.setattr(language, "VERSION", "lang-old")
        Index(settings, embedder=embedder).ingest()
    index = Index(settings, embedder=embedder)
    assert index.outdated() == ["corpus/kiln.md"]
    a = ask("Who fired the first kiln in Stoke?", [], index=index, settings=settings)
    assert a.short_answer.startswith("Ada Wren") and any("rag ingest" in n for n in a.notices), (a.answer, a.notices)
    assert index.ingest().count("updated") == 1 and index.outdated() == []
    b = ask("Who fired the first kiln in Stoke?", [], index=index, settings=settings)
    assert b.short_answer.startswith("Ada Wren") and not b.notices, b.notices
