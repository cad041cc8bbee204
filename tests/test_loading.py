"""rag.loading: real files in tmp_path, every Document checked against its source text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.loading import MB, SUPPORTED, LoadError, find_files, load_file, source_name

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 10 * MB
ALLOWED = (str, int, float, bool)


def load(path: Path, root: Path | None = None, max_bytes: int = LIMIT):
    return load_file(path, root=root or path.parent, max_bytes=max_bytes)


def check_offsets(docs, source_text: str) -> None:
    """The core contract: each page_content is an exact slice of the source text."""
    assert docs
    for d in docs:
        start = d.metadata["start"]
        assert isinstance(start, int)
        assert source_text[start : start + len(d.page_content)] == d.page_content
        assert d.page_content.strip() == d.page_content != ""
        for key, value in d.metadata.items():
            assert isinstance(value, ALLOWED), (key, value)


def reason_of(path: Path, **kw) -> str:
    with pytest.raises(LoadError) as info:
        load(path, **kw)
    err = info.value
    assert err.path == path
    assert str(err) == f"{path}: {err.reason}"
    return err.reason


# ---------------------------------------------------------------- markdown / text

MD = """---
title: "Ignace Reiss: killed near Lausanne"
author: Project research team
date: 1937-09-04
source_url: https://example.org/reiss
kind: background brief
cases: ["Ignace Reiss", "Gertrude Schildbach"]
year: 1937
verified: true
sources:
  - title: Hansen
    address: marxists.org
source: somewhere
---
Intro paragraph before any heading.

## What happened

He was shot on the night of 3-4 September 1937.

```sh
# not a heading: inside a code fence
```

### Details ###

The car was found abandoned.

   
## Empty next

"""


def test_markdown_front_matter_sections_and_offsets(tmp_path):
    path = tmp_path / "reiss-brief.md"
    path.write_text(MD, encoding="utf-8")
    docs = load(path)
    check_offsets(docs, MD)

    assert [d.metadata.get("section") for d in docs] == [None, "What happened", "Details", "Empty next"]
    assert "section" not in docs[0].metadata
    assert docs[0].page_content == "Intro paragraph before any heading."
    assert docs[0].metadata["start"] == MD.index("Intro")
    assert docs[1].page_content.startswith("## What happened")
    assert "# not a heading" in docs[1].page_content
    assert docs[3].page_content == "## Empty next"

    meta = docs[0].metadata
    assert meta["source"] == "reiss-brief.md"
    assert meta["file_type"] == "md"
    assert meta["title"] == "Ignace Reiss: killed near Lausanne"
    assert meta["author"] == "Project research team"
    assert meta["date"] == "1937-09-04"
    assert meta["url"] == "https://example.org/reiss"
    assert meta["kind"] == "background brief"
    assert meta["cases"] == "Ignace Reiss; Gertrude Schildbach"
    assert meta["year"] == 1937 and meta["verified"] is True
    assert meta["sources"] == '[{"title": "Hansen", "address": "marxists.org"}]'
    assert meta["fm_source"] == "somewhere"  # cannot overwrite the source id
    assert "source_url" not in meta


def test_markdown_without_front_matter_titles(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("Preamble\n# The Real Title\nBody\n#hashtag is text\n# C#\n", encoding="utf-8")
    docs = load(md)
    check_offsets(docs, md.read_text(encoding="utf-8"))
    assert docs[0].metadata["title"] == "The Real Title"
    assert [d.metadata.get("section") for d in docs] == [None, "The Real Title", "C#"]

    txt = tmp_path / "field_notes-2024.txt"
    txt.write_text("Just some plain text.\r\nSecond line.\r\n", encoding="utf-8")
    (doc,) = load(txt)
    assert doc.metadata["title"] == "Field notes 2024"
    assert doc.metadata["file_type"] == "txt"
    assert doc.page_content == "Just some plain text.\r\nSecond line."


def test_windows_1252_text_loads_with_accents(tmp_path):
    path = tmp_path / "latin.txt"
    text = "Ramón Mercader — café in Coyoacán, “quoted”\n"
    path.write_bytes(text.encode("cp1252"))
    (doc,) = load(path)
    assert doc.page_content == text.strip()
    assert "é" in doc.page_content

    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("# Résumé\nNaïve é\n".encode("latin-1"))
    (doc,) = load(latin1)
    assert doc.metadata["section"] == "Résumé" and "é" in doc.page_content


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_bom_text_loads_and_offsets_skip_bom(tmp_path, encoding):
    text = "---\ntitle: Été\n---\n# Première\nTexte accentué ✓\n"
    path = tmp_path / "bom.md"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    docs = load(path)
    check_offsets(docs, text)
    assert docs[0].metadata["title"] == "Été"
    assert docs[0].metadata["section"] == "Première"
    assert docs[0].metadata["start"] == text.index("# Première")


# ---------------------------------------------------------------- html

HTML = """<!DOCTYPE html>
<html><head>
  <title>  Trotsky &amp; the   Ice Axe </title>
  <link rel="canonical" href="https://example.org/trotsky">
  <meta name="author" content="A. Historian">
  <style>body { color: red }</style>
  <script>var secret = "SCRIPT TEXT";</script>
</head>
<body>
  <p>Lead   paragraph<br>next line</p>
  <!-- a comment that is not text -->
  <noscript>enable JS</noscript>
  <h1>Coyoac&aacute;n, 1940</h1>
  <p>On 20 August 1940 <b>Mercader</b> struck.</p>
  <script>alert("SCRIPT TEXT 2")</script>
  <h2>Aftermath</h2>
  <ul><li>one &lt;script&gt; literal</li><li>two</li></ul>
  <template><p>TEMPLATE TEXT</p></template>
</body></html>
"""


def _html_source_text(docs) -> str:
    """Rebuild enough of the source text to check offsets: place each piece at its start."""
    end = max(d.metadata["start"] + len(d.page_content) for d in docs)
    chars = [" "] * end
    for d in docs:
        start = d.metadata["start"]
        chars[start : start + len(d.page_content)] = d.page_content
    return "".join(chars)


def test_html_visible_text_title_and_sections(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    docs = load(path)
    check_offsets(docs, _html_source_text(docs))
    everything = "\n".join(d.page_content for d in docs)

    assert "SCRIPT TEXT" not in everything
    assert "color: red" not in everything
    assert "enable JS" not in everything and "TEMPLATE TEXT" not in everything
    assert "comment" not in everything
    assert "<b>" not in everything
    assert "one <script> literal" in everything  # escaped markup stays plain text

    meta = docs[0].metadata
    assert meta["title"] == "Trotsky & the Ice Axe"
    assert meta["url"] == "https://example.org/trotsky"
    assert meta["author"] == "A. Historian"
    assert meta["file_type"] == "html"
    assert [d.metadata.get("section") for d in docs] == [None, "Coyoacán, 1940", "Aftermath"]
    assert docs[0].page_content == "Lead paragraph\nnext line"
    assert docs[1].page_content == "Coyoacán, 1940\n\nOn 20 August 1940 Mercader struck."
    assert docs[2].page_content == "Aftermath\n\none <script> literal\n\ntwo"
    starts = [d.metadata["start"] for d in docs]
    assert starts == sorted(starts) and starts[0] == 0


def test_html_title_falls_back_to_h1_and_htm_type(tmp_path):
    path = tmp_path / "x.htm"
    path.write_text("<body><h1>First Heading</h1><p>Text</p></body>", encoding="utf-8")
    docs = load(path)
    assert docs[0].metadata["title"] == "First Heading"
    assert docs[0].metadata["file_type"] == "html"


# ---------------------------------------------------------------- pdf

def _make_pdf(path: Path, pages: list[str], title: str | None = None) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    pdf.output(str(path))


def test_pdf_one_document_per_page(tmp_path):
    from pypdf import PdfReader

    path = tmp_path / "report.pdf"
    _make_pdf(path, ["First page about Reiss in Lausanne.", "Second page about Klement in Paris."], "The Report")
    docs = load(path)
    assert [d.metadata["page"] for d in docs] == [1, 2]
    assert "Reiss" in docs[0].page_content and "Klement" in docs[1].page_content
    assert docs[0].metadata["title"] == "The Report"
    assert docs[0].metadata["file_type"] == "pdf"
    reader = PdfReader(path)
    for d in docs:  # offsets are within the page's extracted text
        check_offsets([d], reader.pages[d.metadata["page"] - 1].extract_text())


def test_pdf_without_text_and_corrupt(tmp_path):
    blank = tmp_path / "scan.pdf"
    _make_pdf(blank, [""])
    assert reason_of(blank) == "no extractable text (scanned PDF?)"

    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n1 0 obj garbage\n%%EOF trailing junk" * 3)
    assert reason_of(corrupt).startswith("corrupt or unreadable PDF")

    truncated = tmp_path / "truncated.pdf"
    _make_pdf(truncated, ["Some text"])
    truncated.write_bytes(truncated.read_bytes()[:200])
    assert reason_of(truncated).startswith("corrupt or unreadable PDF")

    not_pdf = tmp_path / "text.pdf"
    not_pdf.write_text("hello, I am not a PDF")
    assert reason_of(not_pdf).startswith("corrupt or unreadable PDF")


# ---------------------------------------------------------------- docx

def test_docx_sections_at_headings(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Opening remarks.")
    document.add_heading("The Attack", level=1)
    document.add_paragraph("It happened in August.")
    document.add_paragraph("")
    document.add_paragraph("A second paragraph.")
    document.add_heading("Aftermath", level=2)
    document.add_paragraph("Trial in Mexico.")
    path = tmp_path / "case_file.docx"
    document.save(path)

    docs = load(path)
    source_text = "\n\n".join(
        p.text for p in docx.Document(path).paragraphs if p.text.strip()
    )
    check_offsets(docs, source_text)
    assert [d.metadata.get("section") for d in docs] == [None, "The Attack", "Aftermath"]
    assert docs[1].page_content == "The Attack\n\nIt happened in August.\n\nA second paragraph."
    assert docs[0].metadata["title"] == "The Attack"  # no core title: first heading
    assert docs[0].metadata["file_type"] == "docx"

    document.core_properties.title = "Core Title"
    document.save(path)
    assert load(path)[0].metadata["title"] == "Core Title"


def test_corrupt_docx(tmp_path):
    path = tmp_path / "bad.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file at all" * 4)
    assert reason_of(path).startswith("corrupt or unreadable DOCX")
    path.write_text("plain text pretending to be docx")
    assert reason_of(path).startswith("corrupt or unreadable DOCX")


# ---------------------------------------------------------------- bad inputs

def test_binary_txt(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert reason_of(path) == "binary file (not text)"
    ctrl = tmp_path / "controls.md"
    ctrl.write_bytes(b"abc\x01\x02\x03\x04\x05\x06 def \x07\x08\x0e\x0f" * 10)
    assert reason_of(ctrl) == "binary file (not text)"


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", "\ufeff\n".encode("utf-8")])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.md"
    path.write_bytes(content)
    assert reason_of(path) == "empty file"


def test_front_matter_only_is_empty(tmp_path):
    path = tmp_path / "fm.md"
    path.write_text("---\ntitle: Nothing else\n---\n\n")
    assert reason_of(path).startswith("empty file")


def test_empty_pdf_and_docx_files(tmp_path):
    for name in ("e.pdf", "e.docx", "e.html"):
        (tmp_path / name).write_bytes(b"")
        assert reason_of(tmp_path / name) == "empty file"


def test_unsupported_type(tmp_path):
    path = tmp_path / "data.xyz"
    path.write_text("x")
    assert reason_of(path) == (
        "unsupported file type '.xyz' (supported: .docx .htm .html .md .markdown .pdf .txt)"
    )


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "weird.txt"
    path.write_bytes(b"Some text \x81\x8d\x8f\x90\x9d here")  # invalid UTF-8, undefined in cp1252
    assert reason_of(path) == "cannot decode text (not UTF-8, UTF-16 or Windows-1252)"


def test_too_large_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    with open(path, "wb") as f:
        f.truncate(50 * MB)  # sparse: 50 MB of NULs, never read
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("file was read"))
    assert reason_of(path) == "too large (50.0 MB; the limit is 10 MB, raise RAG_MAX_FILE_MB)"


@pytest.mark.parametrize(
    "front, detail",
    [
        ("title: [unclosed\n", "invalid YAML front matter"),
        ("title: a: b\n", "invalid YAML front matter"),
        ("just a sentence\n", "invalid YAML front matter: not a list"),
    ],
)
def test_invalid_front_matter(tmp_path, front, detail):
    path = tmp_path / "bad.md"
    path.write_text(f"---\n{front}---\nBody text.\n")
    assert reason_of(path).startswith(detail)


def test_unclosed_leading_rule_is_text(tmp_path):
    path = tmp_path / "rule.md"
    text = "---\nNot front matter, just a rule.\n"
    path.write_text(text)
    (doc,) = load(path)
    assert doc.page_content == text.strip() and doc.metadata["start"] == 0


def test_missing_file_and_directory(tmp_path):
    assert reason_of(tmp_path / "nope.md") == "no such file or directory"
    d = tmp_path / "dir.md"
    d.mkdir()
    assert reason_of(d) == "is a directory"


# ---------------------------------------------------------------- find_files / source_name

def test_find_files_sorted_hidden_skipped_and_errors(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "b").mkdir(parents=True)
    (corpus / "a").mkdir()
    (corpus / ".git").mkdir()
    (corpus / ".git" / "x.md").write_text("hidden dir")
    (corpus / ".hidden.md").write_text("hidden file")
    (corpus / "b" / "2.md").write_text("two")
    (corpus / "b" / "1.txt").write_text("one")
    (corpus / "a" / "z.pdf").write_bytes(b"%PDF")
    (corpus / "top.html").write_text("<p>x</p>")
    (corpus / "notes.json").write_text("{}")

    files, errors = find_files([corpus, corpus / "b" / "2.md", tmp_path / "missing.md", corpus])
    assert files == [corpus / "a" / "z.pdf", corpus / "b" / "1.txt", corpus / "b" / "2.md", corpus / "top.html"]
    reasons = {e.path.name: e.reason for e in errors}
    assert reasons["notes.json"].startswith("unsupported file type '.json'")
    assert reasons["missing.md"] == "no such file or directory"
    assert len(errors) == 2
    again = find_files([corpus])
    assert again[0] == find_files([corpus])[0]
    assert [str(e) for e in again[1]] == [str(e) for e in find_files([corpus])[1]]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_find_files_symlinks_do_not_loop(tmp_path):
    corpus = tmp_path / "corpus"
    sub = corpus / "sub"
    sub.mkdir(parents=True)
    (sub / "doc.md").write_text("# Doc\ntext")
    (sub / "up").symlink_to(corpus, target_is_directory=True)  # directory loop: not followed
    (corpus / "self").symlink_to(corpus, target_is_directory=True)
    (corpus / "loop-a.md").symlink_to(corpus / "loop-b.md")  # a -> b -> a
    (corpus / "loop-b.md").symlink_to(corpus / "loop-a.md")
    (corpus / "dangling.md").symlink_to(corpus / "gone.md")
    (corpus / "alias.md").symlink_to(sub / "doc.md")  # same file twice

    files, errors = find_files([corpus])
    assert files == [corpus / "alias.md"]  # sub/doc.md is the same file, listed once
    reasons = {e.path.name: e.reason for e in errors}
    assert reasons == {"loop-a.md": "symlink loop", "loop-b.md": "symlink loop", "dangling.md": "broken symlink"}

    files, errors = find_files([corpus / "loop-a.md"])
    assert files == [] and [e.reason for e in errors] == ["symlink loop"]
    assert reason_of(corpus / "loop-a.md") == "symlink loop"


def test_source_name(tmp_path):
    inside = tmp_path / "corpus" / "briefs" / "x.md"
    assert source_name(inside, tmp_path) == "corpus/briefs/x.md"
    outside = tmp_path.parent / "elsewhere.md"
    assert source_name(outside, tmp_path / "corpus") == outside.resolve().as_posix()
    inside.parent.mkdir(parents=True)
    inside.write_text("hello")
    (doc,) = load(inside, root=tmp_path)
    assert doc.metadata["source"] == "corpus/briefs/x.md"


def test_supported_set():
    assert SUPPORTED == {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"}


# ---------------------------------------------------------------- the real corpus

def test_whole_corpus_loads():
    files, errors = find_files([ROOT / "corpus"])
    assert not errors, [str(e) for e in errors]
    assert any(f.parent.name == "articles" for f in files)
    for path in files:
        docs = load_file(path, root=ROOT, max_bytes=LIMIT)
        assert all(d.metadata["source"] == path.relative_to(ROOT).as_posix() for d in docs)
        if path.suffix in (".md", ".markdown", ".txt"):
            check_offsets(docs, path.read_bytes().decode("utf-8-sig"))


def test_listed_sources_reads_back_the_front_matter_list():
    from rag.loading import listed_sources

    assert listed_sources({"sources": '[{"title": "T", "publisher": "P", "url": "https://x.org", "pages": 3}]'}) == [
        {"title": "T", "publisher": "P", "url": "https://x.org"}]
    assert listed_sources({"sources": "Kotkin; Plokhy"}) == []  # a list of names, not of works
    assert listed_sources({"sources": "[not json"}) == []
    assert listed_sources({"sources": '[{"note": "no title or url"}, "x"]'}) == []
    assert listed_sources({}) == []
