"""Word documents (.docx, python-docx): the body's paragraphs and tables in order, as blocks.

Paragraphs are numbered 1, 2, 3 ... in body order, counting empty ones and those inside table cells (as Word
moves paragraph by paragraph); a block's locator is its paragraph ("paragraph 37"), a table row's that of its
first cell paragraph.
"""

from __future__ import annotations

import io
import re
import zipfile
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

__all__ = ["HEADING_STYLE", "TITLE_STYLES", "LIST_STYLE", "read_docx_source", "docx_blocks"]

HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)  # "Heading 2" -> level 2
TITLE_STYLES = {"title": 1}  # style name (folded) -> heading level
LIST_STYLE = re.compile(r"^list\b", re.IGNORECASE)  # "List Paragraph", "List Bullet 2", "List Number"
LABEL_SHAPE = re.compile(r"^[^:]{1,60}:\s*\S")  # "Class Code: 1660"


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
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            number += 1
            block = _paragraph_block(Paragraph(child, document), number)
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


def _paragraph_block(paragraph: Paragraph, number: int) -> Block | None:
    text = clean_text(paragraph.text)
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
    listed = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if listed or LIST_STYLE.match(style.strip()):
        return Block("item", text, where, bold=bold)
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
