"""Structured readers: HTML, DOCX and PDF give blocks (kind, level, text, locator), lines rendered from them for the
line-based parser, and relocate() turns the parser's line numbers back into places in the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rolegraph.errors import SourceError
from rolegraph.locate import relocate
from rolegraph.model import Line, Locator, Provenance
from rolegraph.parser import heading_levels, parse_spec
from rolegraph.readers import read_source
from rolegraph.readers.furniture import furniture_rules
from rolegraph.readers.pdf import drop_page_furniture

ROOT = Path(__file__).resolve().parent.parent
CALHR = ROOT.parent / "shared" / "corpus" / "calhr-specs"  # as tests/conftest.py locates ../shared
RAW_PAGES = sorted(path.name for path in (CALHR / "raw-pages").glob("*.html")) if CALHR.is_dir() else []

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Senior Clerk (1368)</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li>Jobs menu text that is not content</li></ul></nav>
<div id="content">
<h1>Senior Clerk</h1>
<ul><li><strong>Class Code:</strong> 1368</li></ul>
<h2>Definition</h2>
<p>Under supervision, performs clerical work;<br>files records.</p>
<p>&#160;</p>
<p><strong>Typical Tasks</strong></p>
<ul>
<li>Types letters &lt;b&gt; and memos.</li>
</ul>
<table><caption>Class Titles and Codes</caption>
<tr><th>Code</th><th>Class</th></tr>
<tr><td>1368</td><td>Senior Clerk</td></tr>
</table>
</div>
<footer><p>Copyright and a long footer paragraph that must never be read as part of the spec.</p></footer>
<script>var x = "<p>not text</p>";</script>
</body></html>
"""


def blocks_of(path: Path) -> list[tuple[str, int | None, str, str]]:
    return [(block.kind, block.level, block.text, str(block.where)) for block in read_source(path).blocks]


def test_html_blocks_kinds_levels_texts_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "clerk.html"
    path.write_text(PAGE, encoding="utf-8")
    assert blocks_of(path) == [
        ("heading", 0, "Senior Clerk (1368)", "2"),
        ("heading", 1, "Senior Clerk", "6"),
        ("label", None, "Class Code: 1368", "7"),
        ("heading", 2, "Definition", "8"),
        ("paragraph", None, "Under supervision, performs clerical work;\nfiles records.", "9"),
        ("paragraph", None, "Typical Tasks", "11"),
        ("item", None, "Types letters <b> and memos.", "13"),
        ("heading", None, "Class Titles and Codes", "15"),
        ("row", None, "Code | Class", "16"),
        ("row", None, "1368 | Senior Clerk", "17"),
    ]
    document = read_source(path)
    assert [block.bold for block in document.blocks if block.text == "Typical Tasks"] == [True]
    assert [block.header for block in document.blocks if block.kind == "row"] == [True, False]
    assert [block.cells for block in document.blocks if block.kind == "row"][1] == ("1368", "Senior Clerk")
    texts = [line.text for line in document.lines]
    assert texts[:4] == ["Senior Clerk (1368)", "", "Senior Clerk", ""]
    assert "- Types letters <b> and memos." in texts and "1368 | Senior Clerk" in texts
    assert [line.number for line in document.lines] == list(range(1, len(document.lines) + 1))
    assert document.locate(texts.index("files records.") + 1) == Locator(9)


@pytest.mark.skipif(not RAW_PAGES, reason=f"CalHR pages not found at {CALHR} (../shared is absent on this machine)")
@pytest.mark.parametrize("name", RAW_PAGES, ids=str)
def test_whole_saved_page_reads_as_its_trimmed_twin(name: str) -> None:
    raw, trimmed = read_source(CALHR / "raw-pages" / name), read_source(CALHR / "specs" / name)
    assert [(block.kind, block.text) for block in raw.blocks] == [(block.kind, block.text) for block in trimmed.blocks]
    assert raw.blocks[-1].text.startswith("Updated:"), "the page's date stamp is kept"
    assert len(raw.blocks) > 5


def test_relocate_gives_html_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "clerk.html"
    path.write_text(PAGE, encoding="utf-8")
    document = read_source(path)
    job_class = parse_spec(document)
    ordinal = job_class.title.where.line_start
    located = relocate(job_class, document)
    assert located.title.where.line_start == document.locate(ordinal).line
    assert located.title.where.locator is None
    file_lines = PAGE.split("\n")
    assert located.title.value in file_lines[located.title.where.line_start - 1]


def test_relocate_prints_docx_paragraphs(tmp_path: Path) -> None:
    path = make_docx(tmp_path)
    document = read_source(path)
    where = Provenance(path.name, document.sha256, 3, 5)
    job_class = parse_spec(document)
    located = relocate((job_class, where), document)
    assert str(located[1]) == "spec.docx:paragraphs 2-3"
    assert (located[1].line_start, located[1].line_end) == (2, 3)


def test_text_documents_are_not_relocated(specs_dir: Path) -> None:
    document = read_source(sorted(specs_dir.glob("*.txt"))[0])
    job_class = parse_spec(document)
    assert not document.locators and relocate(job_class, document) is job_class


def make_docx(folder: Path) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Senior Clerk", style="Title")
    document.add_heading("Duties", level=2)
    document.add_paragraph("Files records.", style="List Bullet")
    document.add_paragraph("")
    label = document.add_paragraph()
    label.add_run("Class Code:").bold = True
    label.add_run(" 1368")
    document.add_paragraph().add_run("MINIMUM QUALIFICATIONS").bold = True
    table = document.add_table(rows=2, cols=2)
    for row, cells in enumerate((("Code", "Class"), ("1368", "Senior Clerk"))):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_paragraph("Two years of experience as a Clerk.")
    path = folder / "spec.docx"
    document.save(path)
    return path


def test_docx_blocks(tmp_path: Path) -> None:
    assert blocks_of(make_docx(tmp_path)) == [
        ("heading", 1, "Senior Clerk", "paragraph 1"),
        ("heading", 2, "Duties", "paragraph 2"),
        ("item", None, "Files records.", "paragraph 3"),
        ("label", None, "Class Code: 1368", "paragraph 5"),
        ("heading", None, "MINIMUM QUALIFICATIONS", "paragraph 6"),
        ("row", None, "Code | Class", "paragraph 7"),
        ("row", None, "1368 | Senior Clerk", "paragraph 9"),
        ("paragraph", None, "Two years of experience as a Clerk.", "paragraph 11"),
    ]


def add_word_list(document, levels: list[tuple[str, str, int]], lists: dict[int, str]) -> None:  # noqa: ANN001
    """A numbering definition with ``levels`` (format, level text, start) in the document's numbering part, and a
    list (w:num) of it per ``lists`` entry: numId -> its level overrides (w:lvlOverride markup, or "")."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    numbering = document.part.numbering_part.element
    markup = "".join(f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
                     f'<w:lvlText w:val="{text}"/></w:lvl>' for ilvl, (fmt, text, start) in enumerate(levels))
    numbering.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{markup}</w:abstractNum>'))
    for num_id, overrides in lists.items():
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="90"/>'
                                   f'{overrides}</w:num>'))


def add_word_item(document, text: str, num_id: int, ilvl: int = 0) -> None:  # noqa: ANN001
    numbered = document.add_paragraph(text, style="List Paragraph")._p.get_or_add_pPr().get_or_add_numPr()
    numbered.get_or_add_ilvl().val = ilvl
    numbered.get_or_add_numId().val = num_id


def test_docx_word_numbering_is_counted(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    add_word_list(document, [("decimal", "%1.", 1), ("lowerLetter", "%2.", 1), ("lowerRoman", "(%3)", 1),
                             ("upperLetter", "%4)", 1), ("upperRoman", "%1.%5", 2)],
                  {91: "", 92: '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="4"/></w:lvlOverride>'})
    document.add_heading("Minimum Qualifications", level=2)
    add_word_item(document, "Two years as a Clerk; or", 91)
    add_word_item(document, "One year as a Senior Clerk and", 91)
    add_word_item(document, "a course in records management; or", 91, 1)
    add_word_item(document, "", 91, 1)  # an empty item is counted, as Word counts it
    add_word_item(document, "twelve units of business courses", 91, 1)
    add_word_item(document, "in accounting", 91, 2)
    add_word_item(document, "or in finance", 91, 2)
    add_word_item(document, "Three years of clerical work.", 91)
    add_word_item(document, "A fresh sub-list", 91, 1)  # restarted by the item above
    add_word_item(document, "Upper letter", 91, 3)
    add_word_item(document, "Upper roman", 91, 4)
    add_word_item(document, "Another list, starting at four", 92)
    document.add_paragraph("Keeps files.", style="List Number")  # the style's own numbering
    document.add_paragraph("Sorts mail.", style="List Number")
    document.add_paragraph("Answers phones.", style="List Bullet")
    path = tmp_path / "numbered.docx"
    document.save(path)
    found = read_source(path)
    assert [block.text for block in found.blocks if block.kind == "item"] == [
        "1. Two years as a Clerk; or", "2. One year as a Senior Clerk and", "a. a course in records management; or",
        "c. twelve units of business courses", "(i) in accounting", "(ii) or in finance",
        "3. Three years of clerical work.", "a. A fresh sub-list", "A) Upper letter", "3.II Upper roman",
        "4. Another list, starting at four", "1. Keeps files.", "2. Sorts mail.", "Answers phones."]
    assert [line.text for line in found.lines if line.text][-2:] == ["2. Sorts mail.", "- Answers phones."]
    assert str(found.locate(next(line.number for line in found.lines if line.text.startswith("3. Three")))) == (
        "paragraph 9")


def make_pdf(folder: Path) -> Path:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    body = ("Under general supervision, an Accounting Clerk performs a wide variety of clerical accounting work "
            "in the maintenance of financial records, and does related work as required by the department.")
    for page in (1, 2):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        pdf.cell(0, 5, "CITY BULLETIN RUNNING HEADER", new_x="LMARGIN", new_y="NEXT")
        if page == 1:
            pdf.set_font("Helvetica", "B", 22)
            pdf.multi_cell(60, 10, "SENIOR ACCOUNTING CLERK", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 8, "DUTIES" if page == 1 else "REQUIREMENTS", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, body if page == 1 else body.replace("an Accounting", "a Senior Accounting"),
                       new_x="LMARGIN", new_y="NEXT")
    path = folder / "spec.pdf"
    pdf.output(str(path))
    return path


def test_pdf_blocks_from_fonts(tmp_path: Path) -> None:
    assert blocks_of(make_pdf(tmp_path)) == [
        ("heading", 1, "SENIOR ACCOUNTING CLERK", "p. 1, line 2"),
        ("heading", None, "DUTIES", "p. 1, line 5"),
        ("paragraph", None, "Under general supervision, an Accounting Clerk performs a wide variety of clerical "
                            "accounting work in the maintenance of financial records, and does related work as "
                            "required by the department.", "p. 1, line 6"),
        ("heading", None, "REQUIREMENTS", "p. 2, line 2"),
        ("paragraph", None, "Under general supervision, a Senior Accounting Clerk performs a wide variety of clerical "
                            "accounting work in the maintenance of financial records, and does related work as "
                            "required by the department.", "p. 2, line 3"),
    ]


def test_pdf_lines_locate_to_page_and_line(tmp_path: Path) -> None:
    document = read_source(make_pdf(tmp_path))
    duties = next(line for line in document.lines if line.text == "DUTIES")
    located = document.locate(duties.number)
    assert located.page == 1 and str(located).startswith("p. 1, line ")
    where = Provenance("spec.pdf", document.sha256, duties.number, duties.number)
    assert str(relocate((where,), document)[0]) == f"spec.pdf:{located}"


def test_pdf_headings_reach_the_parser(tmp_path: Path) -> None:
    document = read_source(make_pdf(tmp_path))
    levels = heading_levels(document)
    by_text = {line.text: levels.get(line.number, "not a heading") for line in document.lines if line.text}
    assert by_text["SENIOR ACCOUNTING CLERK"] == 1  # 22 pt bold: the largest size ranks first
    assert by_text["DUTIES"] is None and by_text["REQUIREMENTS"] is None  # bold at body size: a heading of no rank
    assert by_text[next(text for text in by_text if text.startswith("Under general"))] == "not a heading"
    assert parse_spec(document).title.value == "Senior Accounting Clerk"


def test_running_lines_are_set_at_one_place() -> None:
    lines = [Line(1, "Body one"), Line(2, "Level III"), Line(3, "Body two"), Line(4, "Level III"),
             Line(5, "Body three")]
    # "Level III" ends pages 1 and 2 (of 3): at one place it is a running footer, at two places a heading
    assert [line.text for line in drop_page_furniture(lines, (0, 2, 4))] == ["Body one", "Body two", "Body three"]
    kept = drop_page_furniture(lines, (0, 2, 4), tops=[40, 715, 40, 702, 40])
    assert [line.text for line in kept] == [line.text for line in lines]
    moved = drop_page_furniture(lines, (0, 2, 4), tops=[40, 760, 40, 761, 40])
    assert [line.text for line in moved] == ["Body one", "Body two", "Body three"]


@pytest.mark.parametrize(("table", "count"), [("pdf_furniture", 4), ("page_stamp", 2)])
def test_furniture_table_examples_match_their_patterns(table: str, count: int) -> None:
    rules = furniture_rules(table)
    assert len(rules) == count
    for pattern, example in rules:
        assert pattern.match(example), f"{pattern.pattern!r} does not match its example {example!r}"


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a valid Word .docx file"),
    ("plain.docx", b"just text named docx", "not a valid Word .docx file"),
    ("legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "a legacy Word .doc file; save it as .docx"),
    ("legacy.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "a legacy Word .doc file; save it as .docx"),
    ("archive.zip.txt", b"PK\x03\x04" + bytes(64), "binary file (a ZIP archive"),
    ("markup.html", b"<html><head><script>x()</script></head><body><nav>Menu</nav></body></html>",
     "no text in the HTML page"),
    ("spaces.htm", b"<p>&#160;</p>", "no text in the HTML page"),
    ("broken.pdf", b"%PDF-1.4 this is not a pdf", "not a readable PDF"),
])
def test_bad_structured_input_is_one_line(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith(str(path))
    assert reason in caught.value.reason


def test_empty_docx_has_no_text(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    path = tmp_path / "empty.docx"
    docx.Document().save(path)
    with pytest.raises(SourceError, match="no text in the Word document"):
        read_source(path)


@pytest.mark.skipif(not RAW_PAGES, reason=f"CalHR pages not found at {CALHR} (../shared is absent on this machine)")
def test_cli_builds_an_html_spec(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("rolegraph")
    result = subprocess.run([str(cli), "build", str(CALHR / "specs" / "1360.html"), "--store", str(tmp_path / "x")],
                            capture_output=True, text=True, timeout=600, check=False)
    assert "unsupported file type" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0 or result.stderr.startswith("rolegraph: "), result.stderr
