"""Word documents (.docx, python-docx): the body's paragraphs and tables in order, as blocks.

Paragraphs are numbered 1, 2, 3 ... in body order, counting empty ones and those inside table cells (as Word
moves paragraph by paragraph); a block's locator is its paragraph ("paragraph 37"), a table row's that of its
first cell paragraph.

A paragraph in a list Word numbers itself (``w:numPr``, its own or its style's) gets the number Word shows, which
python-docx does not compute: ListNumbering counts each list (``w:numId``) level by level from the numbering
part's definitions (start, format, level text, restarts) and the item's text opens with it ("1. ", "(b) "); a
bulleted list's items stay marked as items ("- ").
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.opc.exceptions import OpcError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from rolegraph.errors import SourceError
from rolegraph.model import Block, Locator, SourceDocument
from rolegraph.readers.blocks import SHORT_BLOCK_CHARS, clean_text, label_text, render_lines, row_block

__all__ = ["HEADING_STYLE", "TITLE_STYLES", "LIST_STYLE", "NUMBER_FORMATS", "ListNumbering", "read_docx_source",
           "docx_blocks", "roman_numeral", "letter_number"]

HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)  # "Heading 2" -> level 2
TITLE_STYLES = {"title": 1}  # style name (folded) -> heading level
LIST_STYLE = re.compile(r"^list\b", re.IGNORECASE)  # "List Paragraph", "List Bullet 2", "List Number"
LABEL_SHAPE = re.compile(r"^[^:]{1,60}:\s*\S")  # "Class Code: 1660"
LEVEL_PLACEHOLDER = re.compile(r"%([1-9])")  # "%1." in a level's text: level 1's number


def roman_numeral(number: int) -> str:
    """``number`` in lower-case Roman numerals (Word's lowerRoman).

    >>> roman_numeral(4), roman_numeral(14), roman_numeral(1990)
    ('iv', 'xiv', 'mcmxc')
    """
    found = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        found += letters * count
    return found


def letter_number(number: int) -> str:
    """``number`` as Word's lowerLetter counts: a ... z, then aa ... zz, aaa ...

    >>> letter_number(1), letter_number(26), letter_number(27), letter_number(53)
    ('a', 'z', 'aa', 'aaa')
    """
    if number < 1:
        return ""
    return chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)


# A level's number format (w:numFmt) -> how a count is written; None: no number (a bullet, "none"). A format not
# listed (ordinal, decimalZero, a script's own digits ...) is written in decimal digits.
NUMBER_FORMATS: dict[str, Callable[[int], str] | None] = {
    "decimal": str,
    "lowerLetter": letter_number,
    "upperLetter": lambda number: letter_number(number).upper(),
    "lowerRoman": roman_numeral,
    "upperRoman": lambda number: roman_numeral(number).upper(),
    "bullet": None,
    "none": None,
}


@dataclass(frozen=True, slots=True)
class _Level:
    start: int
    write: Callable[[int], str] | None  # NUMBER_FORMATS' entry: None for a bullet
    text: str  # w:lvlText, "%1." or "(%2)"
    restart_after: int | None  # w:lvlRestart: restarts after an item of this level (0-based) or above; None: never


def _value(element: etree._Element | None, name: str = "w:val") -> str | None:
    return element.get(qn(name)) if element is not None else None


def _levels(abstract: etree._Element) -> dict[int, _Level]:
    levels = {}
    for level in abstract.findall(qn("w:lvl")):
        ilvl = int(_value(level, "w:ilvl") or 0)
        found = _level(level, ilvl)
        if found is not None:
            levels[ilvl] = found
    return levels


def _level(level: etree._Element, ilvl: int, start: int | None = None) -> _Level | None:
    fmt = _value(level.find(qn("w:numFmt"))) or "decimal"
    restart = _value(level.find(qn("w:lvlRestart")))
    try:
        return _Level(start if start is not None else int(_value(level.find(qn("w:start"))) or 0),
                      NUMBER_FORMATS.get(fmt, str), _value(level.find(qn("w:lvlText"))) or "",
                      ilvl - 1 if restart is None else (int(restart) - 1 if int(restart) > 0 else None))
    except ValueError:
        return None


class ListNumbering:
    """The numbers Word shows on the items of its numbered lists, counted in body order.

    Each list (a ``w:num``, numId) counts on its own, level by level: its first item at a level takes the level's
    start (``w:startOverride`` of the list wins over its definition's), each next one the following number, and an
    item resets the deeper levels (unless ``w:lvlRestart`` says otherwise). A level's text ("%1.", "%1.%2.",
    "(%2)") names the numbers of the levels it shows.
    """

    def __init__(self, numbering: etree._Element | None) -> None:
        self._levels: dict[str, dict[int, _Level]] = {}
        self._counts: dict[str, dict[int, int]] = {}
        if numbering is None:
            return
        abstracts = {_value(abstract, "w:abstractNumId"): abstract
                     for abstract in numbering.findall(qn("w:abstractNum"))}
        for num in numbering.findall(qn("w:num")):
            abstract = abstracts.get(_value(num.find(qn("w:abstractNumId"))))
            levels = _levels(abstract) if abstract is not None else {}
            for override in num.findall(qn("w:lvlOverride")):
                ilvl = int(_value(override, "w:ilvl") or 0)
                start = _value(override.find(qn("w:startOverride")))
                replaced = override.find(qn("w:lvl"))
                if replaced is not None:
                    found = _level(replaced, ilvl, int(start) if start and start.isdigit() else None)
                    if found is not None:
                        levels[ilvl] = found
                elif start is not None and start.isdigit() and ilvl in levels:
                    old = levels[ilvl]
                    levels[ilvl] = _Level(int(start), old.write, old.text, old.restart_after)
            self._levels[_value(num, "w:numId") or ""] = levels

    def label(self, num_id: str, ilvl: int) -> str | None:
        """The number of the next item of list ``num_id`` at level ``ilvl`` ("1.", "b)"), counted; None for a
        bullet or a list the document does not define."""
        levels = self._levels.get(num_id)
        if not levels or ilvl not in levels:
            return None
        counts = self._counts.setdefault(num_id, {})
        level = levels[ilvl]
        counts[ilvl] = counts[ilvl] + 1 if ilvl in counts else level.start
        for deeper in [other for other in counts if other > ilvl]:
            restart_after = levels[deeper].restart_after if deeper in levels else ilvl
            if restart_after is not None and ilvl <= restart_after:
                del counts[deeper]
        if level.write is None:
            return None

        def number(match: re.Match[str]) -> str:
            shown = int(match.group(1)) - 1
            other = levels.get(shown)
            if other is None:
                return ""
            return other.write(counts.get(shown, other.start)) if other.write is not None else ""

        return " ".join(LEVEL_PLACEHOLDER.sub(number, level.text).split()) or None


def read_docx_source(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read a .docx into blocks and the lines rendered from them."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as error:
        detail = str(error.args[0]) if error.args else error.__class__.__name__
        reason = detail.splitlines()[0] if detail.strip() else error.__class__.__name__
        raise SourceError(path, f"not a valid Word .docx file ({reason})") from None
    blocks = docx_blocks(document)
    if not blocks:
        raise SourceError(path, "no text in the Word document")
    lines, locators = render_lines(blocks)
    return SourceDocument(path=path, sha256=sha256,
                          media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                          lines=lines, blocks=blocks, locators=locators)


def docx_blocks(document: docx.document.Document) -> tuple[Block, ...]:
    """The blocks of a document's body, in order."""
    blocks: list[Block] = []
    number = 0
    body = document.element.body
    numbering = ListNumbering(document.part.numbering_part.element)  # an empty one when the document has none
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            number += 1
            block = _paragraph_block(Paragraph(child, document), number, numbering)
            if block is not None:
                blocks.append(block)
        elif child.tag == qn("w:tbl"):
            for row in Table(child, document).rows:
                first = number + 1
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell is listed once per grid column it spans
                        continue
                    seen.add(id(cell._tc))
                    number += len(cell.paragraphs)
                    cells.append(cell.text)
                header = row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
                block = row_block(cells, Locator(first, paragraph=first), header)
                if block is not None:
                    blocks.append(block)
    return tuple(blocks)


def _list_place(paragraph: Paragraph) -> tuple[str, int] | None:
    """(numId, level) of a paragraph in a numbered list: its own ``w:numPr``, else its style's (a "List Number"
    style carries one), parts missing from the paragraph's taken from the style. None outside a list (numId 0
    takes a paragraph out of its style's list)."""
    num_id: str | None = None
    ilvl: int | None = None
    style = paragraph.style
    chain = [paragraph._p.pPr]
    while style is not None:
        chain.append(style.element.pPr)
        style = style.base_style
    for properties in chain:
        numbered = properties.numPr if properties is not None else None
        if numbered is None:
            continue
        if num_id is None and numbered.numId is not None:
            num_id = str(numbered.numId.val)
        if ilvl is None and numbered.ilvl is not None:
            ilvl = int(numbered.ilvl.val)
    if num_id is None or num_id == "0":
        return None
    return num_id, ilvl or 0


def _runs(paragraph: Paragraph) -> list[Run]:
    """The paragraph's runs in order, those of its hyperlinks included."""
    runs: list[Run] = []
    for item in paragraph.iter_inner_content():
        runs.extend([item] if isinstance(item, Run) else item.runs)
    return runs


def _is_bold(run: Run, paragraph: Paragraph) -> bool:
    """A run is bold by itself, by its character style or by the paragraph's style."""
    for value in (run.bold, run.style.font.bold if run.style is not None else None,
                  paragraph.style.font.bold if paragraph.style is not None else None):
        if value is not None:
            return bool(value)
    return False


def _paragraph_block(paragraph: Paragraph, number: int, numbering: ListNumbering) -> Block | None:
    text = clean_text(paragraph.text)
    place = _list_place(paragraph)
    label = numbering.label(*place) if place is not None else None  # counted even when empty, as Word counts it
    if not text:
        return None
    where = Locator(number, paragraph=number)
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = HEADING_STYLE.match(style.strip())
    if heading:
        return Block("heading", text, where, level=int(heading.group(1)))
    if style.strip().casefold() in TITLE_STYLES:
        return Block("heading", text, where, level=TITLE_STYLES[style.strip().casefold()])
    runs = [(run.text, _is_bold(run, paragraph)) for run in _runs(paragraph) if run.text.strip()]
    bold = bool(runs) and all(is_bold for _text, is_bold in runs) and len(text) <= SHORT_BLOCK_CHARS
    if place is not None or LIST_STYLE.match(style.strip()):
        return Block("item", f"{label} {text}" if label else text, where, bold=bold)
    if bold:
        if LABEL_SHAPE.match(text) and not text.endswith(":"):
            return Block("label", text, where, bold=True)
        return Block("heading", text, where, level=None, bold=True)
    if runs and runs[0][1]:
        lead = next(index for index, (_text, is_bold) in enumerate(runs) if not is_bold)
        label = label_text("".join(run for run, _bold in runs[:lead]), "".join(run for run, _bold in runs[lead:]))
        if label is not None:
            return Block("label", label, where)
    return Block("paragraph", text, where)
