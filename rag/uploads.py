"""Files a researcher uploads through the app, saved into the corpus.

An upload arrives as a name and bytes from a browser, so neither can be
trusted: the name may carry a path ("../../x.md", "C:\\x.md", "/etc/x.md")
and the bytes may be anything. `save_upload` keeps only the final component
of the name, refuses what the index could not read anyway (wrong type, too
large, empty), never replaces a different file that is already there, and
never writes outside `corpus/uploads/`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .errors import RagError
from .loading import MB, SUPPORTED, SUPPORTED_LIST

UPLOADS = "uploads"
_UNSAFE = re.compile(r"[^\w.\- ()+,]+")  # \w is Unicode-aware: accented names survive
_MAX_NAME = 120


class UploadError(RagError):
    """An upload was refused; the message says why and what to do."""


def uploads_dir(settings: Settings) -> Path:
    """Where uploads go: `<corpus>/uploads` (indexed with the rest of the corpus)."""
    return settings.corpus_path / UPLOADS


def safe_name(name: str) -> str:
    """The final path component of `name`, made safe as a file name, or UploadError."""
    raw = name
    # A browser may send a full client path; both separators count, since a
    # Windows path arrives with backslashes.
    name = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    name = "".join(" " if unicodedata.category(c).startswith("C") else c for c in name)
    name = _UNSAFE.sub("_", name).strip(" .")  # no hidden files (the corpus walk skips them)
    if name in ("", ".", "..") or not Path(name).stem.strip(" ._"):
        raise UploadError(f"the file name {raw!r} has no usable name in it; rename the file and upload it again")
    if len(name) > _MAX_NAME:
        stem, suffix = Path(name).stem, Path(name).suffix
        name = stem[: _MAX_NAME - len(suffix)].rstrip(" .") + suffix
    return name


def save_upload(name: str, data: bytes, settings: Settings) -> Path:
    """Save an uploaded file into `<corpus>/uploads/` and return its path.

    The same bytes under the same name return the existing file (uploading
    twice changes nothing); different bytes under a taken name get a numeric
    suffix ("notes-2.md"). Raises UploadError for an unusable name, an
    unsupported type, an empty file or one over `settings.max_file_mb`.
    """
    clean = safe_name(name)
    suffix = Path(clean).suffix.lower()
    if suffix not in SUPPORTED:
        kind = f"'{suffix}'" if suffix else "(no extension)"
        raise UploadError(f"{clean}: unsupported file type {kind}; supported: {SUPPORTED_LIST}")
    if not data:
        raise UploadError(f"{clean}: the file is empty")
    limit = int(settings.max_file_mb * MB)
    if len(data) > limit:
        raise UploadError(
            f"{clean}: too large ({len(data) / MB:.1f} MB; the limit is {settings.max_file_mb:g} MB, "
            "raise RAG_MAX_FILE_MB to allow it)"
        )

    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    inside = folder.resolve()
    stem = Path(clean).stem
    for n in range(1, 1000):
        candidate = folder / (clean if n == 1 else f"{stem}-{n}{Path(clean).suffix}")
        # Resolving follows a symlink already sitting in the folder: a link that
        # points elsewhere must not become a way out.
        if not candidate.resolve().is_relative_to(inside):
            raise UploadError(f"{clean}: refused, the name points outside {folder}")
        if candidate.is_symlink() or candidate.exists():
            if candidate.is_file() and not candidate.is_symlink() and candidate.read_bytes() == data:
                return candidate
            continue
        try:
            with candidate.open("xb") as f:  # "x": never replace a file created meanwhile
                f.write(data)
        except FileExistsError:
            continue
        except OSError as e:
            raise UploadError(f"{clean}: cannot save into {folder} ({e.strerror or e})") from None
        return candidate
    raise UploadError(f"{clean}: too many files with this name in {folder}; rename the file")


@dataclass
class UploadReport:
    """What became of a batch of uploads: one (status, line) per file, for display."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # status: added, updated, unchanged, error
    saved: list[Path] = field(default_factory=list)
    failed: bool = False  # the indexing itself failed (the lines say why)

    @property
    def errors(self) -> int:
        return sum(1 for s, _ in self.lines if s == "error")

    @property
    def ok(self) -> int:
        return len(self.lines) - self.errors


def ingest_uploads(files: list[tuple[str, bytes]], index, settings: Settings, on_progress=None) -> UploadReport:
    """Save uploaded (name, bytes) pairs into the corpus and index them.

    A refused upload (see `save_upload`) is reported and not saved; an upload
    the index cannot read is reported and deleted again, unless the file was
    already there before this batch, so an unreadable upload leaves nothing
    behind. `on_progress` is passed to `Index.ingest`.
    """
    report = UploadReport()
    folder = uploads_dir(settings)
    existing = set(folder.iterdir()) if folder.is_dir() else set()
    for name, data in files:
        try:
            report.saved.append(save_upload(name, data, settings))
        except RagError as e:
            report.lines.append(("error", str(e)))
    if not report.saved:
        return report
    try:
        result = index.ingest(report.saved, on_progress=on_progress)
    except RagError as e:
        report.lines.append(("error", str(e)))
        report.failed = True
        return report
    for r in result.files:
        if r.status == "error":
            report.lines.append(("error", f"{r.source}: {r.message}"))
            path = settings.root / r.source
            if path in report.saved and path not in existing:
                path.unlink(missing_ok=True)
        elif r.status == "unchanged":
            report.lines.append(("unchanged", f"{r.source}: unchanged (already indexed)"))
        else:
            n = r.chunks_added
            report.lines.append((r.status, f"{r.source}: {r.status} ({n} passage{'s' * (n != 1)})"))
    return report
