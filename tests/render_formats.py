"""Render a document's blocks to DOCX (python-docx), HTML and PDF (fpdf2): one block model, one renderer per format.

The blocks are what rolegraph's own reader makes of the original (``read_source``: HTML, DOCX, Markdown and PDF
documents carry blocks); plain text carries no structure, so its blocks are ``readers.text.text_blocks`` of its
lines, with the lines the parser opens a section at (or takes the title from) as headings. Nothing here parses a
field: a rendering says what the blocks say, in the conventions of its format:

- DOCX: a heading of level N in the "Heading N" style; a heading of no rank (a short bold line) and a label's
  label in bold runs; list items in list styles ("List Bullet", or "List Paragraph" for an item that carries its
  own number); table rows as table rows (a header row bold and repeated); the document's title (a heading of
  level 0, an HTML ``<title>``) in the core properties. With ``Look(word_numbering=True)`` an item's own number
  is not typed but Word's automatic numbering (``w:numPr`` to a numbering definition added to the numbering part,
  one list per run of items, a level per kind of number: "1." level 0, "a." level 1 ...), as a person using
  Word's numbering button writes a list; an item whose number Word would not give there keeps it typed.
- HTML: ``h1``-``h6``, ``p`` (``<br>`` for a line break), ``strong``, ``ul``/``li``, ``table``/``th``/``td``;
  the title in ``<title>``.
- PDF: Helvetica; headings bold and larger the higher they rank (level 1 largest), spaced from what is above;
  a heading of no rank and a label's label bold at body size; items indented behind their mark; long lines wrap
  at the text width; tables as tables; the title in the document information.

Each renderer returns the bytes and where each block went (``placed``: the block's line in the original ->
"paragraph N" / "table T row R" in a DOCX, "line N" in HTML, "page N" in a PDF), for tests that move locators.
tests/layouts/make_binaries.py renders the layout fixtures with these renderers.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rolegraph.model import Block
from rolegraph.parser import parse_document
from rolegraph.parser.sections import heading_of, split_sections
from rolegraph.parser.tables import load_rules
from rolegraph.readers import read_source
from rolegraph.readers.text import text_blocks

__all__ = ["FORMATS", "Look", "source_blocks", "render", "render_docx", "render_html", "render_pdf"]

FIXED_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # renderings are byte-identical run after run
AUTHOR = "rolegraph tests/render_formats.py"
NUMBERED = re.compile(r"^(\()?(\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})([.)])\s+")  # an item that carries its own number
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


@dataclass(frozen=True)
class Look:
    """Page furniture and title shape a rendering may add (the layout fixtures use them; none by default)."""

    running_header: str | None = None  # at the top of every page (DOCX header, PDF page header)
    page_numbers: bool = False  # "Page N" in the footer
    word_numbering: bool = False  # DOCX: numbered items numbered by Word (w:numPr), not typed
    title_share: float = 1.0  # PDF: the title box's share of the text width (letterheads narrow it)
    title_lines: int = 1  # PDF: the title must wrap over at least this many lines


DEFAULT_LOOK = Look()


def source_blocks(path: Path) -> tuple[Block, ...]:
    """The blocks of a document as rolegraph reads it (plain text: its lines, the parser's headings marked)."""
    document = read_source(path)
    if document.blocks:
        return document.blocks
    rules = load_rules()
    by_number = {line.number: line for line in document.lines}
    headings: dict[int, int | None] = {}
    for section in split_sections(document, rules).sections:
        line = by_number.get(section.heading_line)
        found = heading_of(line.text, rules) if line is not None else None
        if found is not None and not found[2].strip():  # the heading alone on its line
            headings[section.heading_line] = 2
    classes = parse_document(document)
    title = classes[0].title if classes else None
    if title is not None:
        line = by_number.get(title.where.line_start)
        if line is not None and " ".join(line.text.split()).casefold() == title.value.casefold():
            headings[line.number] = 1
    return text_blocks(document.lines, headings)


def _groups(blocks: Sequence[Block]) -> Iterator[tuple[str, list[Block]]]:
    """Blocks in runs: ("table", rows with as many cells each), ("list", items), or (kind, [one block])."""
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block.kind in {"row", "item"}:
            end = index + 1
            while end < len(blocks) and blocks[end].kind == block.kind and (
                    block.kind == "item" or len(blocks[end].cells) == len(block.cells)):
                end += 1
            yield ("table" if block.kind == "row" else "list"), list(blocks[index:end])
            index = end
        else:
            yield block.kind, [block]
            index += 1


def _title(blocks: Sequence[Block]) -> str | None:
    return next((block.text for block in blocks if block.kind == "heading" and block.level == 0), None)


def _label_parts(text: str) -> tuple[str, str]:
    label, _, value = text.partition(":")
    return label + ":", value.strip()


# -- DOCX --------------------------------------------------------------------------------------------------


def _add_text(paragraph, text: str, bold: bool) -> None:  # noqa: ANN001 - python-docx types
    """Runs of ``text``, a line break (``w:br``) for each newline."""
    for number, part in enumerate(text.split("\n")):
        run = paragraph.add_run()
        run.bold = bold
        if number:
            run.add_break()
        run.add_text(part)


def render_docx(blocks: Sequence[Block], look: Look = DEFAULT_LOOK) -> tuple[bytes, dict[int, str]]:
    """A .docx of the blocks, and where each went ("paragraph N", "table T row R")."""
    import docx
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    section = document.sections[0]
    if look.running_header:
        section.header.paragraphs[0].text = look.running_header
    if look.page_numbers:
        _add_page_field(section.footer.paragraphs[0])
    placed: dict[int, str] = {}
    tables = 0
    for kind, group in _groups(blocks):
        block = group[0]
        if kind == "heading" and block.level == 0:
            continue  # the document's title: core properties
        if kind == "table":
            tables += 1
            table = document.add_table(rows=0, cols=len(block.cells))
            table.style = "Table Grid"
            for number, row_block in enumerate(group, start=1):
                row = table.add_row()
                if row_block.header:
                    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
                for cell, text in zip(row.cells, row_block.cells, strict=True):
                    _add_text(cell.paragraphs[0], text, row_block.header)
                placed[row_block.where.line] = f"table {tables} row {number}"
            continue
        numbers = _WordList(document, [member.text for member in group]) if (
            kind == "list" and look.word_numbering) else None
        for member in group:
            if member.kind == "heading" and member.level is not None:
                paragraph = document.add_heading(level=min(member.level, 9))
                _add_text(paragraph, member.text, False)
            elif member.kind == "item":
                paragraph = document.add_paragraph(style="List Paragraph" if NUMBERED.match(member.text)
                                                   else "List Bullet")
                text = numbers.place(paragraph, member.text) if numbers is not None else member.text
                _add_text(paragraph, text, member.bold)
            elif member.kind == "label":
                label, value = _label_parts(member.text)
                paragraph = document.add_paragraph()
                _add_text(paragraph, label, True)
                _add_text(paragraph, " " + value, False)
            else:  # a paragraph, or a heading of no rank: a bold paragraph
                paragraph = document.add_paragraph()
                _add_text(paragraph, member.text, member.bold or member.kind == "heading")
            placed.setdefault(member.where.line, f"paragraph {len(document.paragraphs)}")
    properties = document.core_properties
    properties.author = properties.last_modified_by = AUTHOR
    properties.created = properties.modified = FIXED_DATE.replace(tzinfo=None)
    properties.revision = 1
    properties.title = _title(blocks) or ""
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue()), placed


def _roman_value(letters: str) -> int:
    values = [ROMAN_VALUES[letter] for letter in letters.casefold()]
    return sum(-value if following > value else value for value, following in zip(values, [*values[1:], 0],
                                                                                  strict=True))


def _number_kind(mark: str, kinds: list[str]) -> tuple[str, int]:
    """A typed item number's Word format and value: "3" -> ("decimal", 3), "b" -> ("lowerLetter", 2), "ii" ->
    ("lowerRoman", 2); a single "i"/"v"/"x" is a Roman numeral unless a lettered level of that case is open."""
    if mark.isdigit():
        return "decimal", int(mark)
    case = "lower" if mark.islower() else "upper"
    if len(mark) > 1 or (mark.casefold() in ROMAN_VALUES and f"{case}Letter" not in kinds):
        return f"{case}Roman", _roman_value(mark)
    return f"{case}Letter", ord(mark.casefold()) - ord("a") + 1


class _WordList:
    """One run of items as one Word numbered list: a numbering definition with a level per kind of number, in the
    order the kinds first appear, each level starting where its first item does; ``place`` numbers an item by
    Word when Word would show its typed number there, and returns the text left to type."""

    def __init__(self, document, texts: list[str]) -> None:  # noqa: ANN001 - python-docx types
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        self.kinds: list[str] = []
        self.levels: list[tuple[str, int, str]] = []  # (format, start, level text)
        for text in texts:
            match = NUMBERED.match(text)
            if match is None:
                continue
            kind, value = _number_kind(match.group(2), self.kinds)
            if kind not in self.kinds and len(self.kinds) < 9:
                self.kinds.append(kind)
                self.levels.append((kind, value, f"{match.group(1) or ''}%{len(self.kinds)}{match.group(3)}"))
        self.counts: dict[int, int] = {}
        if not self.levels:
            self.num_id = None
            return
        numbering = document.part.numbering_part.element
        ids = [int(element.get(f"{{{numbering.nsmap['w']}}}abstractNumId")) for element in
               numbering.iterchildren(f"{{{numbering.nsmap['w']}}}abstractNum")]
        abstract_id = max(ids, default=0) + 1
        nums = [int(element.get(f"{{{numbering.nsmap['w']}}}numId")) for element in
                numbering.iterchildren(f"{{{numbering.nsmap['w']}}}num")]
        self.num_id = max(nums, default=0) + 1
        levels = "".join(
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{720 * (ilvl + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
            for ilvl, (fmt, start, text) in enumerate(self.levels))
        # abstract definitions go before the first w:num (the schema's order)
        first_num = next(numbering.iterchildren(f"{{{numbering.nsmap['w']}}}num"), None)
        abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
                             f'<w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>')
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            numbering.append(abstract)
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{self.num_id}">'
                                   f'<w:abstractNumId w:val="{abstract_id}"/></w:num>'))

    def place(self, paragraph, text: str) -> str:  # noqa: ANN001 - python-docx types
        match = NUMBERED.match(text)
        if match is None or self.num_id is None:
            return text
        kind, value = _number_kind(match.group(2), self.kinds)
        if kind not in self.kinds:
            return text
        ilvl = self.kinds.index(kind)
        shown = self.counts[ilvl] + 1 if ilvl in self.counts else self.levels[ilvl][1]
        if shown != value or f"{match.group(1) or ''}%{ilvl + 1}{match.group(3)}" != self.levels[ilvl][2]:
            return text  # Word would number it otherwise: typed as it is
        self.counts[ilvl] = shown
        for deeper in [level for level in self.counts if level > ilvl]:
            del self.counts[deeper]
        numbered = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        numbered.get_or_add_ilvl().val = ilvl
        numbered.get_or_add_numId().val = self.num_id
        return text[match.end():]


def _add_page_field(paragraph) -> None:  # noqa: ANN001 - python-docx types
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.add_run("Page ")
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)


def _fixed_zip(data: bytes) -> bytes:
    """The zip with every entry's timestamp fixed, so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


# -- HTML --------------------------------------------------------------------------------------------------


def _html_text(text: str) -> str:
    return "<br>".join(html.escape(part, quote=False) for part in text.split("\n"))


def render_html(blocks: Sequence[Block], look: Look = DEFAULT_LOOK) -> tuple[bytes, dict[int, str]]:
    """An HTML page of the blocks (one element a line), and where each went ("line N")."""
    title = _title(blocks)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(title or '', quote=False)}</title>", "</head>", "<body>"]
    if look.running_header:
        out.append(f"<header>{html.escape(look.running_header, quote=False)}</header>")
    out.append("<main>")
    placed: dict[int, str] = {}

    def put(block: Block, markup: str) -> None:
        out.append(markup)
        placed.setdefault(block.where.line, f"line {len(out)}")

    for kind, group in _groups(blocks):
        block = group[0]
        if kind == "heading" and block.level == 0:
            continue
        if kind == "table":
            out.append("<table>")
            for row in group:
                tag = "th" if row.header else "td"
                put(row, "<tr>" + "".join(f"<{tag}>{_html_text(cell)}</{tag}>" for cell in row.cells) + "</tr>")
            out.append("</table>")
        elif kind == "list":
            out.append("<ul>")
            for item in group:
                text = _html_text(item.text)
                put(item, f"<li><strong>{text}</strong></li>" if item.bold else f"<li>{text}</li>")
            out.append("</ul>")
        elif kind == "heading" and block.level is not None:
            level = min(block.level, 6)
            put(block, f"<h{level}>{_html_text(block.text)}</h{level}>")
        elif kind == "label":
            label, value = _label_parts(block.text)
            put(block, f"<p><strong>{_html_text(label)}</strong> {_html_text(value)}</p>")
        elif block.bold or kind == "heading":
            put(block, f"<p><strong>{_html_text(block.text)}</strong></p>")
        else:
            put(block, f"<p>{_html_text(block.text)}</p>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8"), placed


# -- PDF ---------------------------------------------------------------------------------------------------

BODY_SIZE = 10.5  # points
HEADING_SIZES = {1: 20.0, 2: 14.0, 3: 12.0}  # a heading of a lower rank: HEADING_SIZES[3] - 0.5 per level (>= 11)
LINE_FACTOR = 0.5  # mm of line height per point of font size (10.5 pt -> 5.25 mm)
TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                             "\u2014": "-", "\u2022": "-", "\u2026": "...", "\u00a0": " "})


def latin(text: str) -> str:
    """Text the PDF core fonts can set (Latin-1): typographic marks as ASCII, other letters without accents.

    >>> latin("Driver\u2019s licence \u2013 caf\u00e9 \u0141\u00f3d\u017a")
    "Driver's licence - caf\u00e9 Lodz"
    """
    text = text.translate(TYPOGRAPHIC)
    if all(ord(char) < 256 for char in text):
        return text
    return "".join(char if ord(char) < 256 else (unicodedata.normalize("NFKD", char).encode("ascii", "ignore")
                                                 .decode() or "?") for char in text)


def _heading_size(level: int) -> float:
    return HEADING_SIZES.get(level, max(11.0, HEADING_SIZES[3] - 0.5 * (level - 3)))


def render_pdf(blocks: Sequence[Block], look: Look = DEFAULT_LOOK) -> tuple[bytes, dict[int, str]]:
    """A PDF of the blocks, and where each went ("page N")."""
    from fpdf import FPDF

    class Pages(FPDF):
        def header(self) -> None:
            if look.running_header:
                self.set_font("Helvetica", "I", 8)
                self.cell(0, 5, latin(look.running_header), align="L")
                self.ln(6)
                self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
                self.ln(4)

        def footer(self) -> None:
            if look.page_numbers:
                self.set_y(-15)
                self.set_font("Helvetica", "", 8)
                self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Pages(format="Letter")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_author(AUTHOR)
    title = _title(blocks)
    if title:
        pdf.set_title(latin(title))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    body_height = BODY_SIZE * LINE_FACTOR
    placed: dict[int, str] = {}

    for kind, group in _groups(blocks):
        block = group[0]
        if kind == "heading" and block.level == 0:
            continue
        placed.setdefault(block.where.line, f"page {pdf.page_no()}")
        if kind == "table":
            pdf.set_font("Helvetica", "", BODY_SIZE - 1)
            with pdf.table(text_align="LEFT", line_height=body_height, first_row_as_headings=block.header) as table:
                for row in group:
                    placed.setdefault(row.where.line, f"page {pdf.page_no()}")
                    cells = table.row()
                    for cell in row.cells:
                        cells.cell(latin(cell))
            pdf.ln(2)
        elif kind == "list":
            for item in group:
                placed.setdefault(item.where.line, f"page {pdf.page_no()}")
                numbered = NUMBERED.match(item.text) is not None
                pdf.set_font("Helvetica", "B" if item.bold else "", BODY_SIZE)
                pdf.set_x(pdf.l_margin + 4)
                if not numbered:
                    pdf.cell(5, body_height, "-")
                pdf.multi_cell(width - (4 if numbered else 9), body_height, latin(item.text), new_x="LMARGIN",
                               new_y="NEXT")
                pdf.ln(0.8)
            pdf.ln(1.2)  # a list ends as a paragraph does (0.8 + 1.2 = 2 mm)
        elif kind == "heading" and block.level is not None:
            size = _heading_size(block.level)
            pdf.ln(size * LINE_FACTOR)  # a heading stands apart from what is above it
            pdf.set_font("Helvetica", "B", size)
            share = look.title_share if block.level == 1 else 1.0
            if block.level == 1 and look.title_lines > 1:
                lines = pdf.multi_cell(width * share, size * LINE_FACTOR, latin(block.text), dry_run=True,
                                       output="LINES")
                if len(lines) < look.title_lines:
                    raise ValueError(f"the PDF title should wrap over {look.title_lines} lines: {block.text!r}")
            pdf.multi_cell(width * share, size * LINE_FACTOR, latin(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "label":
            label, value = _label_parts(block.text)
            pdf.set_font("Helvetica", "B", BODY_SIZE)
            pdf.write(body_height, latin(label))
            pdf.set_font("Helvetica", "", BODY_SIZE)
            pdf.write(body_height, " " + latin(value))
            pdf.ln(body_height + 2)
        else:
            pdf.set_font("Helvetica", "B" if block.bold or kind == "heading" else "", BODY_SIZE)
            if kind == "heading":
                pdf.ln(body_height)
            pdf.multi_cell(width, body_height, latin(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output()), placed


RENDERERS = {"docx": render_docx, "html": render_html, "pdf": render_pdf}
FORMATS = tuple(RENDERERS)


def render(blocks: Sequence[Block], fmt: str, look: Look = DEFAULT_LOOK) -> tuple[bytes, dict[int, str]]:
    """The blocks rendered in ``fmt`` (one of FORMATS), and where each went."""
    return RENDERERS[fmt](blocks, look)
