"""Render chosen Markdown fixtures of tests/layouts into .docx and .pdf, with their expected facts.

Run from anywhere: ``.venv/bin/python tests/layouts/make_binaries.py`` (needs python-docx and fpdf2). The
outputs are committed; run this again only when a rendered source changes, and review the diff.

Each rendering ``<layout>/<source-stem>-<format>.<format>`` gets ``<source-stem>-<format>.expected.json``:
the source's hand-written facts, ``rendered_from`` naming the source, and every ``line N`` locator of the
source turned into where the renderer put that line (``paragraph N`` or ``table T row R`` in a DOCX,
``page N`` in a PDF).

The Markdown read here is the small subset the fixtures use: ``#``-headings, ``|`` tables, ``-`` and ``1.``
list items (continued by indented lines), paragraphs, and ``**bold**`` spans. Output is deterministic (fixed
dates and zip timestamps), so re-running without source changes leaves the files byte-identical.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Rendering:
    source: str          # path under tests/layouts
    fmt: str             # "docx" or "pdf"
    running_header: str  # repeated at the top of every page


RENDERINGS = (
    Rendering("provincial-job-description/policy-analyst.md", "pdf",
              "Province of British Columbia - BC Public Service - Job Description"),
    Rendering("provincial-job-description/policy-analyst.md", "docx",
              "Province of British Columbia - BC Public Service - Job Description"),
    Rendering("municipal-series-table/clerk-series.md", "docx", "City of Harlow Springs - Classification Plan"),
    Rendering("municipal-series-table/clerk-series.md", "pdf", "City of Harlow Springs - Classification Plan"),
    Rendering("school-district-job-description/payroll-specialist.md", "docx",
              "Riverbend Unified School District - Classified Job Description"),
)


# -- reading the Markdown subset -------------------------------------------------------------------------

@dataclass
class Block:
    kind: str                      # "heading", "paragraph", "bullet", "number", "table"
    text: str = ""
    level: int = 0                 # heading level
    line: int = 0                  # first source line (1-based)
    last_line: int = 0
    rows: list[list[str]] = field(default_factory=list)   # table rows, header first
    row_lines: list[int] = field(default_factory=list)    # source line of each row
    list_id: int = 0               # items of one list share it (numbering restarts per list)


ITEM = re.compile(r"^(?P<marker>-|\d+\.)\s+(?P<text>.*)$")


def read_blocks(text: str) -> list[Block]:
    """Return the blocks of a Markdown-subset document, each with its source lines."""
    blocks: list[Block] = []
    list_id = 0
    previous_was_item = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        last = blocks[-1] if blocks else None
        if not stripped:
            if last is not None and last.kind == "paragraph":
                last.kind = "paragraph-closed"
            continue
        if stripped.startswith("#"):
            hashes = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Block("heading", stripped[hashes:].strip(), level=hashes, line=number, last_line=number))
            previous_was_item = False
            continue
        if stripped.startswith("|"):
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                continue
            if last is None or last.kind != "table":
                last = Block("table", line=number)
                blocks.append(last)
            last.rows.append(cells)
            last.row_lines.append(number)
            last.last_line = number
            previous_was_item = False
            continue
        item = ITEM.match(stripped)
        if item and not line.startswith(" "):
            kind = "bullet" if item["marker"] == "-" else "number"
            if not (previous_was_item and last is not None and last.kind == kind):
                list_id += 1
            blocks.append(Block(kind, item["text"], line=number, last_line=number, list_id=list_id))
            previous_was_item = True
            continue
        if line.startswith(" ") and last is not None and last.kind in ("bullet", "number"):
            last.text += " " + stripped
            last.last_line = number
            continue
        if last is not None and last.kind == "paragraph":
            last.text += " " + stripped
            last.last_line = number
            continue
        blocks.append(Block("paragraph", stripped, line=number, last_line=number))
        previous_was_item = False
    for block in blocks:
        if block.kind == "paragraph-closed":
            block.kind = "paragraph"
    return blocks


def bold_spans(text: str) -> list[tuple[str, bool]]:
    """Split ``**bold**`` markup into (text, is_bold) runs.

    >>> bold_spans("**Grade:** 8")
    [('Grade:', True), (' 8', False)]
    """
    parts = text.split("**")
    return [(part, index % 2 == 1) for index, part in enumerate(parts) if part]


def plain(text: str) -> str:
    return text.replace("**", "")


# -- DOCX --------------------------------------------------------------------------------------------------

def restart_numbering(document, style_name: str) -> int:
    """Return a new numbering instance of the list style's numbering that starts again at 1."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    style = document.styles[style_name]
    num_id = style.element.pPr.numPr.numId.val
    numbering = document.part.numbering_part.element
    abstract_id = numbering.num_having_numId(num_id).abstractNumId.val
    new_id = max(int(num.get(qn("w:numId"))) for num in numbering.findall(qn("w:num"))) + 1
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), str(new_id))
    abstract = OxmlElement("w:abstractNumId")
    abstract.set(qn("w:val"), str(abstract_id))
    num.append(abstract)
    override = OxmlElement("w:lvlOverride")
    override.set(qn("w:ilvl"), "0")
    start = OxmlElement("w:startOverride")
    start.set(qn("w:val"), "1")
    override.append(start)
    num.append(override)
    numbering.append(num)
    return new_id


def use_numbering(paragraph, num_id: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p_pr = paragraph._p.get_or_add_pPr()
    num_pr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), "0")
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), str(num_id))
    num_pr.extend([ilvl, num])
    p_pr.append(num_pr)


def add_page_field(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def render_docx(blocks: list[Block], rendering: Rendering) -> tuple[bytes, dict[int, str]]:
    """Return the DOCX bytes and, for each source line, where it went ("paragraph N", "table T row R")."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = rendering.running_header
    footer = section.footer.paragraphs[0]
    footer.add_run("Page ")
    add_page_field(footer)

    where: dict[int, str] = {}
    tables = 0
    numbering: dict[int, int] = {}

    def placed(block: Block) -> None:
        for line in range(block.line, block.last_line + 1):
            where[line] = f"paragraph {len(document.paragraphs)}"

    for block in blocks:
        if block.kind == "heading":
            document.add_heading(plain(block.text), level=block.level)
        elif block.kind == "table":
            tables += 1
            header = block.rows[0]
            table = document.add_table(rows=0, cols=len(header))
            table.style = "Table Grid"
            for number, (cells, line) in enumerate(zip(block.rows, block.row_lines, strict=True), start=1):
                row = table.add_row()
                for cell, text in zip(row.cells, cells, strict=True):
                    paragraph = cell.paragraphs[0]
                    for part, bold in bold_spans(text):
                        paragraph.add_run(part).bold = bold or number == 1
                where[line] = f"table {tables} row {number}"
            continue
        elif block.kind in ("bullet", "number"):
            style = "List Bullet" if block.kind == "bullet" else "List Number"
            paragraph = document.add_paragraph(style=style)
            for part, bold in bold_spans(block.text):
                paragraph.add_run(part).bold = bold
            if block.kind == "number":
                if block.list_id not in numbering:
                    numbering[block.list_id] = restart_numbering(document, style)
                use_numbering(paragraph, numbering[block.list_id])
        else:
            paragraph = document.add_paragraph()
            for part, bold in bold_spans(block.text):
                paragraph.add_run(part).bold = bold
        placed(block)
    document.styles["Normal"].font.size = Pt(11)
    props = document.core_properties
    props.author = props.last_modified_by = "rolegraph tests/layouts/make_binaries.py"
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    props.title = plain(next(block.text for block in blocks if block.kind == "heading"))
    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_zip(buffer.getvalue()), where


def fixed_zip(data: bytes) -> bytes:
    """Return the zip with every entry's timestamp fixed, so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


# -- PDF ---------------------------------------------------------------------------------------------------

def render_pdf(blocks: list[Block], rendering: Rendering) -> tuple[bytes, dict[int, str]]:
    """Return the PDF bytes and, for each source line, the page it went to ("page N")."""
    from fpdf import FPDF

    class Page(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "I", 8)
            self.cell(0, 5, rendering.running_header, align="L")
            self.ln(6)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Page(format="Letter")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(plain(next(block.text for block in blocks if block.kind == "heading")))
    pdf.set_author("rolegraph tests/layouts/make_binaries.py")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    where: dict[int, str] = {}
    title_done = False
    numbers: dict[int, int] = {}

    for block in blocks:
        page_before = pdf.page_no()
        if block.kind == "heading" and not title_done:
            pdf.set_font("Helvetica", "B", 22)
            # a title box narrower than the text column, as letterhead templates have
            lines = pdf.multi_cell(width * 0.8, 10, plain(block.text), dry_run=True, output="LINES")
            if len(lines) < 2:
                raise SystemExit(f"{rendering.source}: the PDF title should wrap over two lines: {block.text!r}")
            pdf.multi_cell(width * 0.8, 10, plain(block.text), align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            title_done = True
        elif block.kind == "heading":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 14 if block.level <= 2 else 12)
            pdf.multi_cell(width, 7, plain(block.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif block.kind == "table":
            pdf.set_font("Helvetica", "", 10)
            with pdf.table(text_align="LEFT", line_height=6) as table:
                for cells, line in zip(block.rows, block.row_lines, strict=True):
                    row = table.row()
                    for cell in cells:
                        row.cell(plain(cell))
                    where[line] = f"page {pdf.page_no()}"
            pdf.ln(2)
            continue
        elif block.kind in ("bullet", "number"):
            numbers[block.list_id] = numbers.get(block.list_id, 0) + 1
            marker = "-" if block.kind == "bullet" else f"{numbers[block.list_id]}."
            pdf.set_font("Helvetica", "", 10.5)
            pdf.set_x(pdf.l_margin + 4)
            pdf.cell(7, 5.5, marker)
            pdf.multi_cell(width - 11, 5.5, block.text, markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        else:
            pdf.set_font("Helvetica", "", 10.5)
            pdf.multi_cell(width, 5.5, block.text, markdown=True, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        # a block split over a page break is located on the page it starts on
        for line in range(block.line, block.last_line + 1):
            where[line] = f"page {page_before}"
    return bytes(pdf.output()), where


# -- expected facts --------------------------------------------------------------------------------------

def rendered_expected(source_expected: dict, source_name: str, fmt: str, where: dict[int, str]) -> dict:
    """Return the source's facts for its rendering, with its line locators moved to the rendering's."""
    expected = {"layout": source_expected["layout"], "rendered_from": source_name}
    if "notes" in source_expected:
        expected["notes"] = f"{fmt.upper()} rendering of {source_name}: " + source_expected["notes"]
    classes = []
    for facts in source_expected["classes"]:
        facts = dict(facts)
        if "locators" in facts:
            locators = {}
            for name, locator in facts["locators"].items():
                line = int(locator.removeprefix("line "))
                locators[name] = where[line]
            facts["locators"] = locators
        classes.append(facts)
    expected["classes"] = classes
    return expected


RENDERERS = {"docx": render_docx, "pdf": render_pdf}


def main() -> None:
    for rendering in RENDERINGS:
        source = HERE / rendering.source
        blocks = read_blocks(source.read_text(encoding="utf-8"))
        data, where = RENDERERS[rendering.fmt](blocks, rendering)
        stem = f"{source.stem}-{rendering.fmt}"
        output = source.with_name(f"{stem}.{rendering.fmt}")
        output.write_bytes(data)
        source_expected = json.loads(source.with_name(f"{source.stem}.expected.json").read_text(encoding="utf-8"))
        expected = rendered_expected(source_expected, source.name, rendering.fmt, where)
        source.with_name(f"{stem}.expected.json").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{output.relative_to(HERE)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
