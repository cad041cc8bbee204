"""save_upload: browser-supplied names and bytes land safely in corpus/uploads/."""

from __future__ import annotations

import os

import pytest

from rag.loading import load_file
from rag.uploads import UploadError, save_upload, uploads_dir

from conftest import make_settings

TEXT = b"# Note\n\nThe courier was poisoned in Tallinn in 1961.\n"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, root=tmp_path, corpus_dir=tmp_path / "corpus")


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_saves_into_uploads_and_the_file_loads(settings, tmp_path):
    path = save_upload("note.md", TEXT, settings)
    assert path == uploads_dir(settings) / "note.md"
    assert path.read_bytes() == TEXT
    docs = load_file(path, root=settings.root, max_bytes=10**6)
    assert docs[0].metadata["source"] == "corpus/uploads/note.md"


@pytest.mark.parametrize("name", [
    "../../x.md", "/etc/x.md", "..\\..\\x.md", "C:\\Users\\me\\x.md", "a/b/../x.md", "uploads/../../x.md",
])
def test_paths_in_names_keep_only_the_final_component(settings, tmp_path, name):
    path = save_upload(name, TEXT, settings)
    assert path == uploads_dir(settings) / "x.md"
    assert files_under(tmp_path) == ["corpus/uploads/x.md"]


@pytest.mark.parametrize("name", ["", ".", "..", "../", "...", "/", "\\", "a/..", " . "])
def test_names_without_a_file_name_are_refused(settings, tmp_path, name):
    with pytest.raises(UploadError, match="no usable name"):
        save_upload(name, TEXT, settings)
    assert files_under(tmp_path) == []


def test_odd_characters_are_made_safe(settings):
    path = save_upload(".hidden <b>\x00notes</b>?.md", TEXT, settings)
    assert path.parent == uploads_dir(settings)
    assert not path.name.startswith(".")  # the corpus walk skips hidden files
    assert not set(path.name) & set("<>?\x00/\\")


def test_unsupported_types_are_refused_with_the_supported_list(settings, tmp_path):
    with pytest.raises(UploadError) as e:
        save_upload("tool.exe", b"MZ...", settings)
    assert "'.exe'" in str(e.value) and ".md" in str(e.value) and ".pdf" in str(e.value)
    with pytest.raises(UploadError, match="no extension"):
        save_upload("README", TEXT, settings)
    assert files_under(tmp_path) == []


def test_empty_and_too_large_files_are_refused(settings, tmp_path):
    with pytest.raises(UploadError, match="empty"):
        save_upload("a.md", b"", settings)
    small = settings.model_copy(update={"max_file_mb": 0.001})
    with pytest.raises(UploadError, match="RAG_MAX_FILE_MB"):
        save_upload("big.md", b"x" * 2000, small)
    assert files_under(tmp_path) == []


def test_a_different_file_with_the_same_name_is_never_overwritten(settings):
    first = save_upload("x.md", TEXT, settings)
    again = save_upload("x.md", TEXT, settings)  # the same bytes: nothing new
    other = save_upload("x.md", TEXT + b"More.\n", settings)
    third = save_upload("x.md", TEXT + b"Else.\n", settings)
    assert again == first
    assert (other.name, third.name) == ("x-2.md", "x-3.md")
    assert first.read_bytes() == TEXT
    assert sorted(p.name for p in uploads_dir(settings).iterdir()) == ["x-2.md", "x-3.md", "x.md"]


def test_a_symlink_in_uploads_cannot_lead_outside(settings, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"keep me")
    uploads_dir(settings).mkdir(parents=True)
    os.symlink(outside, uploads_dir(settings) / "x.md")
    with pytest.raises(UploadError, match="outside"):
        save_upload("x.md", TEXT, settings)
    assert outside.read_bytes() == b"keep me"
