"""Readers: a file on disk -> :class:`~rolegraph.model.SourceDocument`. No field parsing here.

>>> sorted(SUFFIX_TO_READER)
['', '.docx', '.htm', '.html', '.markdown', '.md', '.pdf', '.text', '.txt']
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

from rolegraph.errors import SourceError
from rolegraph.model import SourceDocument
from rolegraph.readers import pdf, text

__all__ = ["SUFFIX_TO_READER", "MAX_TEXT_BYTES", "MAX_PDF_BYTES", "read_source", "iter_source_paths",
           "SourceFiles", "list_source_files"]

Reader = Callable[[Path, bytes, str], SourceDocument]


def read_html_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """HTML (readers/html.py), imported when first needed: lxml.html adds to every start-up otherwise."""
    from rolegraph.readers import html

    return html.read_html_source(path, data, sha256)


def read_docx_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """DOCX (readers/docx.py), imported when first needed: python-docx takes 80 ms to import."""
    from rolegraph.readers import docx

    return docx.read_docx_source(path, data, sha256)


SUFFIX_TO_READER: dict[str, Reader] = {
    ".txt": text.read_text_source,
    ".text": text.read_text_source,
    "": text.read_text_source,
    ".md": text.read_text_source,
    ".markdown": text.read_text_source,
    ".pdf": pdf.read_pdf_source,
    ".html": read_html_source,
    ".htm": read_html_source,
    ".docx": read_docx_source,
}

# A job specification is kilobytes of text (the largest LA bulletin is under 20 kB); anything near these sizes
# is not one, and refusing it up front keeps a build from spending minutes on it.
MAX_TEXT_BYTES = 8 * 1024 * 1024
MAX_PDF_BYTES = 64 * 1024 * 1024

# Leading bytes of formats that are never a job specification in text form.
BINARY_SIGNATURES: dict[bytes, str] = {
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"PK\x03\x04": "a ZIP archive (e.g. .xlsx)",
    b"\x1f\x8b": "a gzip archive",
    b"\xd0\xcf\x11\xe0": "an OLE document (e.g. .doc/.xls)",
    b"\x7fELF": "an executable",
}
ZIP_SIGNATURE = b"PK\x03\x04"  # a .docx is a ZIP package
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # a legacy .doc is an OLE compound file
WORD_SUFFIXES = frozenset({".doc", ".docx", ".dot"})


def read_source(path: Path | str) -> SourceDocument:
    """Return the text of one source file with its sha256 and original line numbers.

    Raises:
        SourceError: empty, binary, too large, unsupported type or undecodable; the message names the reason.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise SourceError(path, "not a regular file" if path.exists() else "no such file")
        size = path.stat().st_size
        with path.open("rb") as handle:
            kind = {b"%PDF": "PDF", ZIP_SIGNATURE: "Word"}.get(handle.read(4), "text")
        limit = MAX_TEXT_BYTES if kind == "text" else MAX_PDF_BYTES
        if size > limit:
            raise SourceError(path, f"file is {size / 1048576:.0f} MB; a {kind} specification may be at most "
                                    f"{limit // 1048576} MB")
        data = path.read_bytes()
    except PermissionError:
        raise SourceError(path, "permission denied") from None
    except OSError as error:
        raise SourceError(path, f"cannot read: {error.strerror or error}") from None
    if not data.strip():
        raise SourceError(path, "empty file")
    sha256 = hashlib.sha256(data).hexdigest()
    if data.startswith(b"%PDF"):
        return pdf.read_pdf_source(path, data, sha256)
    suffix = path.suffix.lower()
    if data.startswith(OLE_SIGNATURE) and suffix in WORD_SUFFIXES:
        raise SourceError(path, "a legacy Word .doc file; save it as .docx")
    if data.startswith(ZIP_SIGNATURE) and suffix == ".docx":
        return read_docx_source(path, data, sha256)
    for signature, what in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise SourceError(path, f"binary file ({what}), not a job specification")
    reader = SUFFIX_TO_READER.get(suffix)
    if reader is None:
        supported = ", ".join(sorted(suffix for suffix in SUFFIX_TO_READER if suffix))
        raise SourceError(path, f"unsupported file type '{path.suffix}' (rolegraph reads {supported})")
    return reader(path, data, sha256)


class SourceFiles(Sequence[Path]):
    """Files as :func:`iter_source_paths` lists them, kept as their names (``names``): a build given these does
    not walk or stat them again, and a Path is made only for a file asked for (at 100k files, making them all
    took a third of a rebuild that reads one)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(names)

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, index: int) -> Path: ...

    @overload
    def __getitem__(self, index: slice) -> list[Path]: ...

    def __getitem__(self, index: int | slice) -> Path | list[Path]:
        if isinstance(index, slice):
            return [Path(name) for name in self.names[index]]
        return Path(self.names[index])

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def list_source_files(paths: Iterable[Path | str]) -> SourceFiles:
    """The files named, directories walked (see :func:`iter_source_paths`); a SourceFiles given stays as it is."""
    return paths if isinstance(paths, SourceFiles) else SourceFiles(_iter_source_names(paths))


def iter_source_paths(paths: Iterable[Path | str]) -> Iterator[Path]:
    """Yield the files named, walking directories recursively in sorted order.

    Hidden files and folders are skipped; symlinked folders are not followed, so a loop cannot recur.
    A path that does not exist is yielded as is, for read_source to report.
    """
    return map(Path, _iter_source_names(paths))


def _iter_source_names(paths: Iterable[Path | str]) -> Iterator[str]:
    """The names of the files ``iter_source_paths`` yields, each as ``str`` of its Path."""
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            yield str(path)
            continue
        for folder, subfolders, names in os.walk(path, followlinks=False):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    yield os.path.join(folder, name)
