"""Files -> LangChain `Document`s with exact character offsets, or a clear per-file error.

Citations are checked against the text they quote, so every Document obeys one
contract: `page_content == source_text[start:end]` with `start = metadata["start"]`.
The "source text" is defined per format:

- .md/.markdown/.txt: the decoded file text, front matter included (so offsets
  match the file as an editor shows it); one Document per Markdown heading section.
- .html/.htm: the visible text (see `_html_text`); one Document per h1-h3 section.
- .pdf: each page's extracted text (offsets are within the page); one Document per page.
- .docx: the non-empty paragraphs joined with "\\n\\n"; one Document per "Heading*" section.

Anything that goes wrong with one file is a `LoadError` with a short sentence a
researcher can act on; the caller reports it and carries on with the other files.
Metadata values are only str/int/float/bool (Chroma refuses anything else) and
missing values are left out rather than stored as None.
"""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import io
import json
import logging
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable

import yaml
from langchain_core.documents import Document

SUPPORTED_TYPES = (".docx", ".htm", ".html", ".md", ".markdown", ".pdf", ".txt")  # the one list
SUPPORTED = set(SUPPORTED_TYPES)
SUPPORTED_LIST = " ".join(SUPPORTED_TYPES)  # for messages
MB = 1024 * 1024  # callers: max_bytes = int(settings.max_file_mb * MB)

# Keys this module sets itself; front matter cannot overwrite them (kept as "fm_<key>").
_RESERVED = {"source", "start", "page", "section", "file_type"}

Piece = tuple[str, int, dict[str, Any]]  # (page_content, start, per-Document metadata)
Loaded = tuple[dict[str, Any], list[Piece]]  # (file-level metadata, pieces)


class LoadError(Exception):
    """One file could not be loaded; `reason` is a short sentence for the user."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def source_name(path: Path, root: Path) -> str:
    """The stable `source` id: posix path relative to root when inside it, else absolute.

    Symlinks are not resolved first (a corpus may link files in from elsewhere and
    should still name them by where they sit in the corpus); resolving is the
    fallback for roots reached through a symlink.
    """
    absolute = Path(os.path.abspath(path))
    candidates = [(absolute, Path(os.path.abspath(root)))]
    candidates.append((Path(os.path.realpath(path)), Path(os.path.realpath(root))))
    for p, r in candidates:
        if p.is_relative_to(r):
            return p.relative_to(r).as_posix()
    return absolute.as_posix()


# ---------------------------------------------------------------- finding files


def _link_problem(path: Path) -> str | None:
    """Why `path` cannot be followed ("symlink loop", "broken symlink", ...), or None."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop"
        if os.path.islink(path):
            return "broken symlink"
        if e.errno == errno.ENOENT:
            return "no such file or directory"
        return e.strerror or str(e)
    return None


def _unsupported(suffix: str) -> str:
    kind = f"'{suffix}'" if suffix else "(no extension)"
    return f"unsupported file type {kind} (supported: {SUPPORTED_LIST})"


def find_files(paths: list[Path]) -> tuple[list[Path], list[LoadError]]:
    """Expand files and directories into the loadable files, plus what was skipped and why.

    Directories are walked recursively in sorted order so indexing is
    deterministic. Hidden entries (".git", ".DS_Store") are skipped silently.
    Directory symlinks found while walking are not followed -- that is what keeps
    a link back to a parent from walking forever; symlinked files are followed.
    A file reached twice (directly and via a link, or via overlapping arguments)
    is listed once, at its first occurrence.
    """
    files: list[Path] = []
    errors: list[LoadError] = []
    seen: set[str] = set()  # real paths of listed files
    reported: set[str] = set()

    def skip(p: Path, reason: str) -> None:
        if str(p) not in reported:  # the same bad file reached twice is reported once
            reported.add(str(p))
            errors.append(LoadError(p, reason))

    def add_file(p: Path) -> None:
        if p.suffix.lower() not in SUPPORTED:
            skip(p, _unsupported(p.suffix.lower()))
            return
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            files.append(p)

    def walk(directory: Path) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as e:
            skip(directory, f"cannot read directory: {e.strerror or e}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            p = directory / entry.name
            if entry.is_symlink():
                problem = _link_problem(p)
                if problem:
                    skip(p, problem)
                elif not p.is_dir():  # symlinked directories are not followed
                    add_file(p)
            elif entry.is_dir():
                walk(p)
            else:
                add_file(p)

    for p in paths:
        p = Path(p)
        problem = _link_problem(p)
        if problem:
            skip(p, problem)
        elif p.is_dir():  # given explicitly: followed even if it is a symlink
            walk(p)
        else:
            add_file(p)
    return files, errors


# ---------------------------------------------------------------- decoding text

_BOMS = [  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # control chars except \t\n\v\f\r


def _decode(data: bytes) -> str:
    """Bytes -> text: a BOM's encoding, else UTF-8, else Windows-1252 (strict).

    The BOM is removed, so offsets count from the first real character.
    NUL bytes without a BOM, or many control characters, mean the file is
    not text at all (an image renamed .txt, say), which deserves its own message.
    """
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as e:
                raise ValueError(f"cannot decode text (invalid {encoding.upper()}: {e.reason})")
            break
    if text is None:
        if b"\x00" in data:
            raise ValueError("binary file (not text)")
        for encoding in ("utf-8", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("cannot decode text (not UTF-8, UTF-16 or Windows-1252)")
    if len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise ValueError("binary file (not text)")
    if not text.strip():
        raise ValueError("empty file")
    return text


# ---------------------------------------------------------------- metadata helpers


def _scalar(value: Any) -> str | int | float | bool | None:
    """A front-matter value as something Chroma stores, or None to leave it out.

    Lists of scalars become "a; b"; dicts and lists holding dicts/lists are
    JSON-dumped (the briefs keep their `sources` list this way, so nothing is lost).
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        items = list(value)
        if not items:
            return None
        if all(isinstance(v, (str, int, float, bool, dt.date)) for v in items):
            return "; ".join(str(_scalar(v)) for v in items)
    return json.dumps(value, ensure_ascii=False, default=str)


def _metadata(raw: dict[Any, Any]) -> dict[str, Any]:
    """Front matter -> metadata: title/author/date/url/kind normalised, the rest as-is."""
    meta: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key)
        if key in _RESERVED:
            key = f"fm_{key}"
        value = _scalar(value)
        if value is not None and value != "":
            meta[key] = value
    if "source_url" in meta:
        meta.setdefault("url", meta.pop("source_url"))
    for key in ("title", "author", "date", "url", "kind"):
        if key in meta:
            meta[key] = str(meta[key])
    return meta


_SOURCE_FIELDS = ("title", "author", "publisher", "url")


def listed_sources(metadata: dict[str, Any]) -> list[dict[str, str]]:
    """The works a file names in its front matter `sources:` list, for a reader to follow.

    `_scalar` stores a list of mappings as a JSON string (Chroma keeps scalars
    only); this reads it back. Each entry keeps the string fields among title,
    author, publisher and url; entries without a title or url are dropped, and
    anything that is not such a list (a plain "a; b" string, bad JSON) gives [].
    """
    raw = metadata.get("sources")
    if not isinstance(raw, str) or not raw.startswith("["):
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            entry = {k: str(item[k]).strip() for k in _SOURCE_FIELDS if isinstance(item.get(k), (str, int, float))}
            entry = {k: v for k, v in entry.items() if v}
            if entry.get("title") or entry.get("url"):
                out.append(entry)
    return out


def _sections(text: str, start: int, marks: list[tuple[int, str]]) -> list[Piece]:
    """Cut text[start:] at each mark (offset, heading); the heading opens its section.

    Each piece is trimmed of surrounding whitespace (its `start` moves with it, so
    it stays an exact slice); whitespace-only pieces are dropped.
    """
    bounds = [(start, "")] + [m for m in marks if m[0] >= start]
    ends = [pos for pos, _ in bounds[1:]] + [len(text)]
    pieces: list[Piece] = []
    for (pos, heading), end in zip(bounds, ends):
        chunk = text[pos:end]
        content = chunk.strip()
        if content:
            lead = len(chunk) - len(chunk.lstrip())
            pieces.append((content, pos + lead, {"section": heading} if heading else {}))
    return pieces


# ---------------------------------------------------------------- one loader per format

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")  # CommonMark ATX
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def _headings(lines: list[str], body: int) -> list[tuple[int, int, str]]:
    """(offset, level, text) of each Markdown heading line at or after `body`.

    Lines inside ``` / ~~~ code fences are skipped: a shell comment is not a heading.
    """
    found: list[tuple[int, int, str]] = []
    pos, fence = 0, ""
    for line in lines:
        line_text = line.rstrip("\r\n")
        opener = _FENCE.match(line_text)
        if fence:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = ""
        elif opener:
            fence = opener.group(1)
        elif pos >= body and (m := _HEADING.fullmatch(line_text)):
            found.append((pos, len(m.group(1)), (m.group(2) or "").strip()))
        pos += len(line)
    return found


def _front_matter(lines: list[str]) -> tuple[dict[str, Any], int]:
    """(metadata, offset where the body starts) from a leading `---` ... `---` YAML block.

    Invalid YAML is an error rather than text, so the researcher learns that
    their title/author were not read instead of finding them missing later.
    """
    if not lines or lines[0].rstrip() != "---":
        return {}, 0
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:  # a lone leading rule, not front matter
        return {}, 0
    try:
        raw = yaml.safe_load("".join(lines[1:close]))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        detail = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ValueError(f"invalid YAML front matter: {detail}{where}")
    if raw is not None and not isinstance(raw, dict):
        raise ValueError("invalid YAML front matter: not a list of 'key: value' lines")
    return _metadata(raw or {}), sum(len(line) for line in lines[: close + 1])


def _load_text(path: Path, data: bytes) -> Loaded:
    """Markdown / plain text: YAML front matter -> metadata, one section per heading.

    Without a front-matter title a Markdown file is titled by its first `#` heading.
    """
    text = _decode(data)
    lines = text.splitlines(keepends=True)
    meta, body = _front_matter(lines)
    headings = _headings(lines, body)
    pieces = _sections(text, body, [(pos, name) for pos, _, name in headings])
    if not pieces:
        raise ValueError("empty file (nothing after the front matter)")
    if "title" not in meta and path.suffix.lower() != ".txt":
        first_h1 = next((name for _, level, name in headings if level == 1 and name), None)
        if first_h1:
            meta["title"] = first_h1
    return meta, pieces


_DROP = ["script", "style", "noscript", "template", "head", "title"]
_BLOCKS = [
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details",
    "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "summary", "table", "td", "th", "tr", "ul",
]
_MARK = "\x00"  # marks where an h1-h3 starts; cannot occur in the text (NUL => binary)


def _tidy(text: str) -> str:
    """Whitespace runs -> one space, no spaces at line ends, at most one blank line."""
    text = re.sub(r"[^\S\n]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    text = re.sub(f"{_MARK} ", _MARK, text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _html_text(soup: Any) -> tuple[str, list[tuple[int, str]]]:
    """Visible text of the page, and where each h1-h3 starts in it.

    Only text nodes are read (comments, doctypes and markup never reach the
    text); nothing is rendered or executed.
    """
    headings = []
    for h in soup.find_all(["h1", "h2", "h3"]):
        headings.append(_tidy(h.get_text(" ")))
        h.insert(0, _MARK)
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    parts = _tidy(soup.get_text()).split(_MARK)
    text, marks = parts[0], []
    for heading, part in zip(headings, parts[1:]):
        marks.append((len(text), heading))
        text += part
    return text, marks


def _load_html(path: Path, data: bytes) -> Loaded:
    """HTML: visible text only, title from <title> or the first <h1>, url if canonical."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "html.parser")
    meta: dict[str, Any] = {}
    title_tag, h1 = soup.find("title"), soup.find("h1")
    title = _tidy(title_tag.get_text(" ")) if title_tag else ""
    if not title and h1:
        title = _tidy(h1.get_text(" "))
    if title:
        meta["title"] = title
    canonical = soup.find("link", rel="canonical") or soup.find("meta", property="og:url")
    url = canonical and (canonical.get("href") or canonical.get("content"))
    if isinstance(url, str) and url.strip():
        meta["url"] = url.strip()
    author = soup.find("meta", attrs={"name": "author"})
    if author and isinstance(author.get("content"), str) and author["content"].strip():
        meta["author"] = author["content"].strip()
    for tag in soup.find_all(_DROP):
        tag.decompose()
    text, marks = _html_text(soup)
    pieces = _sections(text, 0, marks)
    if not pieces:
        raise ValueError("no visible text in the page")
    return meta, pieces


def _load_pdf(path: Path, data: bytes) -> Loaded:
    """PDF: one piece per page with text; pypdf failures of any kind -> one clear message."""
    from pypdf import PdfReader

    # pypdf logs repair warnings ("EOF marker not found") straight to stderr; the
    # researcher gets our one-line LoadError instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    meta: dict[str, Any] = {}
    pieces: list[Piece] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        if not locked:
            info = reader.metadata or {}
            for key in ("title", "author"):
                value = str(getattr(info, key, None) or "").strip()
                if value:
                    meta[key] = value
            for number, page in enumerate(reader.pages, start=1):
                for content, start, _ in _sections(page.extract_text() or "", 0, []):
                    pieces.append((content, start, {"page": number}))
    except Exception as e:  # pypdf raises many types (PdfReadError, KeyError, struct.error, ...)
        raise ValueError(f"corrupt or unreadable PDF: {e or type(e).__name__}")
    if locked:
        raise ValueError("encrypted PDF (needs a password)")
    if not pieces:
        raise ValueError("no extractable text (scanned PDF?)")
    return meta, pieces


def _load_docx(path: Path, data: bytes) -> Loaded:
    """DOCX: body paragraphs (tables are not read), sections at "Heading*" styles.

    Empty paragraphs are left out of the source text so spacing paragraphs do not
    become runs of blank lines.
    """
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [
            (p.text, getattr(p.style, "name", "") or "") for p in document.paragraphs if p.text.strip()
        ]
        props = document.core_properties
        meta = {k: v.strip() for k, v in (("title", props.title), ("author", props.author)) if v and v.strip()}
    except Exception as e:  # BadZipFile, KeyError for a missing part, XML errors
        raise ValueError(f"corrupt or unreadable DOCX: {e or type(e).__name__}")
    text, marks = "", []
    for i, (para, style) in enumerate(paragraphs):
        if i:
            text += "\n\n"
        if style.startswith("Heading"):
            marks.append((len(text), para.strip()))
        elif style == "Title" and "title" not in meta:
            meta["title"] = para.strip()
        text += para
    if "title" not in meta and marks:
        meta["title"] = marks[0][1]
    pieces = _sections(text, 0, marks)
    if not pieces:
        raise ValueError("no text in the document")
    return meta, pieces


_LOADERS: dict[str, Callable[[Path, bytes], Loaded]] = {
    ".md": _load_text,
    ".markdown": _load_text,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
assert set(_LOADERS) == SUPPORTED
_FILE_TYPES = {".markdown": "md", ".htm": "html"}


def _stem_title(path: Path) -> str:
    words = re.sub(r"[-_]+", " ", path.stem).strip() or path.name
    return words[:1].upper() + words[1:]


def load_file(path: Path, *, root: Path, max_bytes: int) -> list[Document]:
    """Load one file into Documents (see the module docstring), or raise LoadError."""
    return parse_file(path, read_file(path, max_bytes=max_bytes), root=root)


def read_file(path: Path, *, max_bytes: int) -> bytes:
    """A file's bytes, after the checks that need no parsing (type, links, size)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(path, _unsupported(suffix))
    problem = _link_problem(path)
    if problem:
        raise LoadError(path, problem)
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise LoadError(path, "is a directory")
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block forever on read
            raise LoadError(path, "not a regular file")
        if st.st_size > max_bytes:
            raise LoadError(
                path,
                f"too large ({st.st_size / MB:.1f} MB; the limit is {max_bytes / MB:g} MB, raise RAG_MAX_FILE_MB)",
            )
        if st.st_size == 0:
            raise LoadError(path, "empty file")
        return path.read_bytes()
    except OSError as e:
        raise LoadError(path, f"cannot read file: {e.strerror or e}")


def parse_file(path: Path, data: bytes, *, root: Path) -> list[Document]:
    """Documents from a file's bytes (as returned by `read_file`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        meta, pieces = _LOADERS[suffix](path, data)
    except ValueError as e:  # the loaders' own messages
        raise LoadError(path, str(e)) from None
    except Exception as e:  # a parser bug or pathological input must not stop a whole index run
        raise LoadError(path, f"could not read this {suffix[1:]} file ({type(e).__name__}: {e})") from e

    base = {"source": source_name(path, root), "file_type": _FILE_TYPES.get(suffix, suffix[1:])}
    base.update(meta)
    base.setdefault("title", _stem_title(path))
    return [
        Document(page_content=content, metadata={**base, **extra, "start": start})
        for content, start, extra in pieces
    ]
