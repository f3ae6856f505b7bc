"""PDF through its text layer (pypdf). Scanned PDFs with no text layer are refused with a reason."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from rolegraph.errors import SourceError
from rolegraph.model import Line, SourceDocument
from rolegraph.readers.furniture import drop_furniture
from rolegraph.readers.text import split_lines

__all__ = ["read_pdf_source"]


def read_pdf_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read the text layer of every page; lines are numbered through the whole document."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError(path, "encrypted PDF; rolegraph cannot read its text")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SourceError(path, f"not a readable PDF ({error.__class__.__name__}: {error})") from None
    if not any(page.strip() for page in pages):
        raise SourceError(path, "PDF has no text layer (a scan?); run OCR first")
    lines: list[Line] = []
    page_starts: list[int] = []
    for page in pages:
        page_starts.append(len(lines))
        for text in split_lines(page):
            lines.append(Line(len(lines) + 1, text.rstrip()))
    return SourceDocument(path=path, sha256=sha256, media_type="application/pdf",
                          lines=drop_furniture(lines, tuple(page_starts)))
