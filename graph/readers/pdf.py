"""PDF: blocks from the fonts of its text (readers/pdf_fonts.py, pdfplumber) and the lines rendered from them, as
the HTML and DOCX readers do (readers/blocks.py ``render_lines``), so the lines the parser reads and the blocks that
say which of them are headings are one reading; each line is located by page and line ("p. 2, line 14"). A PDF
whose fonts cannot be read is read from its text layer (pypdf), without blocks. Encrypted PDFs and scans with no
text layer are refused with a reason."""

from __future__ import annotations

import bisect
import io
import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from rolegraph.errors import SourceError
from rolegraph.model import Block, Line, Locator, SourceDocument
from rolegraph.readers.blocks import render_lines
from rolegraph.readers.furniture import drop_furniture, furniture_patterns
from rolegraph.readers.pdf_fonts import font_blocks, font_lines
from rolegraph.readers.text import split_lines

__all__ = ["PDF_FURNITURE", "KEEP_BREAK_AFTER", "KEEP_BREAK_BEFORE", "UNWRAP_MIN_CHARS", "UNWRAP_MIN_SHARE",
           "read_pdf_source", "pdf_blocks",
           "drop_page_furniture", "unwrap_lines"]

# Whole lines that are page furniture of published bulletins (running headers and footers, page numbers): the
# table "pdf_furniture" of readers/furniture.toml.
PDF_FURNITURE: tuple[re.Pattern[str], ...] = furniture_patterns("pdf_furniture")
MIN_PAGES_FOR_RUNNING_LINE = 2  # a page's first/last line repeated on this many pages is a running header/footer
RUNNING_EDGE_LINES = 2  # lines at each page edge inspected for running headers/footers
RUNNING_TOP_TOLERANCE = 3.0  # points: a running header/footer is set this close to one place on every page

# Unwrapping lines broken at the page width: a line at least UNWRAP_MIN_SHARE as wide as its page's widest line
# (and UNWRAP_MIN_CHARS long) is joined with the next non-blank line, unless the break is kept by one of these
# patterns (on the line before / the line after). A line of one character (a drop capital, a "$" set apart) is
# glued to the next line without a space.
UNWRAP_MIN_CHARS = 40
UNWRAP_MIN_SHARE = 0.75
WIDTH_PERCENTILE = 0.8  # a page's text width: this percentile of its long lines (a URL or a title may stick out)
GLUE_TO_NEXT = re.compile(r"^\s*\S\s*$")
TYPOGRAPHIC_TO_ASCII = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
KEEP_BREAK_AFTER: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:\.\s*){3,}\s*\S+\s*$"),  # a dotted leader and its value ("Interview . . . . 100%")
    re.compile(r"^(?=.*[A-Z])[^a-z]*$"),  # an all-capitals line (a heading)
)
KEEP_BREAK_BEFORE: tuple[re.Pattern[str], ...] = (
    # a numbered or lettered item ("2. ", "(b) ", "3 Years" but not a wrapped "12 semester units")
    re.compile(r"^\s*\(?(?:\d{1,2}[.)]|\d{1,2}(?=\s+[A-Z(])|[a-zA-Z][.)])\s+\S"),
    re.compile(r"^\s*[-*\u2022\u25cf\u25aa\u00b7]\s"),  # a bullet
    re.compile(r"^(?=.*[A-Z])[^a-z]*$"),  # an all-capitals line (a heading)
)


def read_pdf_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read a PDF into its font blocks and the lines rendered from them (the text layer when it has no blocks)."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SourceError(path, "encrypted PDF; rolegraph cannot read its text")
        len(reader.pages)  # a broken page tree raises here, before pdfplumber is asked
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise SourceError(path, f"not a readable PDF ({error.__class__.__name__}: {error})") from None
    blocks = pdf_blocks(path, data)
    if not blocks:
        return _text_layer_source(path, sha256, reader)
    lines, locators = render_lines(blocks)
    return SourceDocument(path=path, sha256=sha256, media_type="application/pdf", lines=lines, blocks=blocks,
                          locators=locators)


def _text_layer_source(path: Path, sha256: str, reader: PdfReader) -> SourceDocument:
    """The lines of a PDF's text layer, numbered through the document, without page furniture and unwrapped."""
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
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
    kept = drop_furniture(drop_page_furniture(lines, tuple(page_starts)), tuple(page_starts))
    widths = _page_widths(kept, tuple(page_starts))
    locators = tuple(Locator(index - page_starts[page] + 1, page=page + 1) for page, index in
                     ((bisect.bisect_right(page_starts, index) - 1, index) for index in range(len(lines))))
    return SourceDocument(path=path, sha256=sha256, media_type="application/pdf",
                          lines=unwrap_lines(kept, lambda number: widths.get(number, 0)), locators=locators)


def pdf_blocks(path: Path, data: bytes) -> tuple[Block, ...]:
    """The blocks of a PDF from its fonts (readers/pdf_fonts.py), without page furniture (PDF_FURNITURE, running
    headers and footers, readers/furniture.toml's page stamps). A PDF pdfplumber cannot read gives no blocks."""
    try:
        pages = font_lines(data)
    except Exception as error:  # noqa: BLE001 - pdfplumber/pdfminer raise many kinds; the text layer is the fallback
        logging.getLogger(__name__).debug("%s: no font blocks (%s)", path, error)
        return ()
    numbered: list[Line] = []
    starts: list[int] = []
    where: list[tuple[int, int]] = []
    tops: list[float] = []
    for page in pages:
        starts.append(len(numbered))
        for line in page:
            numbered.append(Line(len(numbered) + 1, line.text))
            where.append((line.page, line.line))
            tops.append(line.top)
    kept = drop_furniture(drop_page_furniture(numbered, tuple(starts), tops), tuple(starts))
    return font_blocks(pages, {where[line.number - 1] for line in kept})


def _page_widths(lines: tuple[Line, ...], page_starts: tuple[int, ...]) -> dict[int, int]:
    """Line number -> the text width (characters) of its page: WIDTH_PERCENTILE of its long lines."""
    pages: dict[int, list[Line]] = {}
    for line in lines:  # page_starts are 0-based indexes of the numbered lines, so line n is on page bisect(n-1)
        pages.setdefault(bisect.bisect_right(page_starts, line.number - 1), []).append(line)
    widths: dict[int, int] = {}
    for page in pages.values():
        lengths = sorted(len(line.text.strip()) for line in page
                         if len(line.text.strip()) >= UNWRAP_MIN_CHARS and not KEEP_BREAK_AFTER[0].search(line.text))
        width = lengths[int(WIDTH_PERCENTILE * (len(lengths) - 1))] if lengths else 0
        widths.update((line.number, width) for line in page)
    return widths


def _fold(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).casefold())


def drop_page_furniture(lines: list[Line], page_starts: tuple[int, ...],
                        tops: Sequence[float] | None = None) -> list[Line]:
    """Lines without PDF_FURNITURE and without running headers/footers (edge lines repeated across pages).

    Blank lines stay (they separate paragraphs); digits are ignored when comparing edge lines ("Page 2"). With
    ``tops`` (each line's distance from the top of its page, as the fonts give it), a running line is also set at
    one place on those pages (within RUNNING_TOP_TOLERANCE points): a heading that happens to end two pages is not
    a running footer.

    >>> lines = [Line(1, "Bulletin 12"), Line(2, "Text one"), Line(3, "Bulletin 13"), Line(4, "Text two"),
    ...          Line(5, "AN EQUAL EMPLOYMENT OPPORTUNITY EMPLOYER")]
    >>> [line.text for line in drop_page_furniture(lines, (0, 2))]
    ['Text one', 'Text two']
    """
    bounds = list(zip(page_starts, (*page_starts[1:], len(lines)), strict=True))
    edges: list[tuple[str, int]] = []  # (top or bottom, line index)
    seen: Counter[tuple[str, str]] = Counter()  # (edge, folded text) -> pages it is on
    for start, end in bounds:
        content = [index for index in range(start, end) if lines[index].text.strip()]
        page = [("top", index) for index in content[:RUNNING_EDGE_LINES]]
        page += [("bottom", index) for index in content[-RUNNING_EDGE_LINES:]]
        edges.extend(page)
        seen.update({(edge, _fold(lines[index].text)) for edge, index in page})
    needed = max(MIN_PAGES_FOR_RUNNING_LINE, (len(bounds) + 1) // 2)
    running = {index for edge, index in edges if seen[(edge, _fold(lines[index].text))] >= needed}
    if tops is not None:
        placed: dict[tuple[str, str], list[float]] = {}
        for edge, index in edges:
            placed.setdefault((edge, _fold(lines[index].text)), []).append(tops[index])
        running = {index for edge, index in edges if index in running and sum(
            abs(top - tops[index]) <= RUNNING_TOP_TOLERANCE for top in placed[(edge, _fold(lines[index].text))])
            >= needed}
    return [line for index, line in enumerate(lines) if index not in running
            and not any(pattern.match(line.text) for pattern in PDF_FURNITURE)]


def unwrap_lines(lines: tuple[Line, ...] | list[Line], width_of: Callable[[int], int] | None = None
                 ) -> tuple[Line, ...]:
    """Join lines broken at the page width back into one line per paragraph; a joined line keeps the number
    of its first line.

    >>> wide = "Two years of full-time paid experience as an Accounting Clerk, or in a class at the level"
    >>> [line.text for line in unwrap_lines([Line(1, wide), Line(2, "of Senior Clerk."), Line(3, "2. Next")])]
    ['Two years of full-time paid experience as an Accounting Clerk, or in a class at the level of Senior \
Clerk.', '2. Next']

    Whether a line ran to the page's edge is asked of the line as set, not of the paragraph joined so far: a
    heading after a paragraph's short last line stays apart.

    >>> [line.text for line in unwrap_lines([Line(1, wide), Line(2, "of Clerk."), Line(3, "Typical Duties")])][1:]
    ['Typical Duties']
    """
    result: list[Line] = []
    last = Line(0, "")  # the last line as the page set it: whether it ran to the page's edge decides a join
    for line in lines:
        line = Line(line.number, line.text.translate(TYPOGRAPHIC_TO_ASCII))
        if result and line.text.strip():
            previous = result[-1].text
            if GLUE_TO_NEXT.match(last.text):
                result[-1] = Line(result[-1].number, previous.rstrip() + line.text.strip())
                last = Line(line.number, last.text.strip() + line.text.strip())
                continue
            width = width_of(last.number) if width_of else 0
            if (len(last.text.strip()) >= max(UNWRAP_MIN_CHARS, UNWRAP_MIN_SHARE * width)
                    and not any(pattern.search(last.text.strip()) for pattern in KEEP_BREAK_AFTER)
                    and not any(pattern.search(line.text.strip()) for pattern in KEEP_BREAK_BEFORE)):
                joiner = "" if previous.rstrip().endswith("-") and not previous.rstrip().endswith(" -") else " "
                result[-1] = Line(result[-1].number, previous.rstrip() + joiner + line.text.strip())
                last = line
                continue
        result.append(line)
        last = line
    return tuple(result)
