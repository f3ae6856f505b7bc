"""Integrity of tests/layouts: every fixture document has expected facts of the documented shape, and the
strings those facts quote (title, code, grade, employer, first words of duties...) really occur in it.

This does not run the parser; it keeps the hand-written expectations honest (see tests/layouts/README.md).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

LAYOUTS = Path(__file__).resolve().parent / "layouts"
DOCUMENT_SUFFIXES = (".md", ".txt", ".html", ".docx", ".pdf")
EXPECTED_SUFFIX = ".expected.json"
HELPER_FILES = {"README.md", "make_binaries.py"}
MIN_LAYOUTS, MIN_DOCUMENTS_PER_LAYOUT = 7, 2

TOP_KEYS = {"layout": str, "classes": list, "notes": str, "rendered_from": str}
TOP_REQUIRED = {"layout", "classes"}
CLASS_KEYS = {
    "title": str,
    "code": str,
    "position_number": str,
    "pay_grade": str,
    "salary": dict,
    "flsa": str,
    "jurisdiction": str,
    "state": str,
    "country": str,
    "department": str,
    "series": str,
    "summary_starts": str,
    "duties_min": int,
    "duties_include": list,
    "duty_percentages": list,
    "experience_months": list,
    "feeders": list,
    "education_includes": list,
    "licenses_include": list,
    "locators": dict,
    "notes": str,
}
CLASS_REQUIRED = {"title", "jurisdiction", "summary_starts", "duties_min"}
LIST_ITEM_TYPES = {
    "duties_include": str,
    "duty_percentages": int,
    "experience_months": int,
    "feeders": dict,
    "education_includes": str,
    "licenses_include": str,
}
SALARY_PERIODS = {"year", "month", "biweekly", "week", "hour"}
# facts quoted from the document: each must occur in its text (case and spacing aside)
QUOTED_FIELDS = ("title", "code", "position_number", "pay_grade", "flsa", "jurisdiction", "department",
                 "series", "summary_starts")
QUOTED_LISTS = ("duties_include", "education_includes", "licenses_include")
LOCATOR = re.compile(r"^(?:line (?P<line>\d+)|page (?P<page>\d+)|paragraph (?P<paragraph>\d+)"
                     r"|table (?P<table>\d+) row (?P<row>\d+))$")
LOCATOR_KINDS_BY_SUFFIX = {".md": {"line"}, ".txt": {"line"}, ".html": {"line"}, ".pdf": {"page"},
                           ".docx": {"paragraph", "table"}}


def _documents() -> list[Path]:
    return sorted(path for path in LAYOUTS.glob("*/*") if path.name.endswith(DOCUMENT_SUFFIXES))


DOCUMENTS = _documents()
IDS = [f"{path.parent.name}/{path.name}" for path in DOCUMENTS]


def expected_path(document: Path) -> Path:
    return document.with_name(document.name.rsplit(".", 1)[0] + EXPECTED_SUFFIX)


def load_expected(document: Path) -> dict:
    return json.loads(expected_path(document).read_text(encoding="utf-8"))


# -- reading fixture text -------------------------------------------------------------------------------------

FOLDS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                       "\u00a0": " "})


def fold(text: str) -> str:
    """Return text compared loosely: case, typographic quotes and dashes, runs of spacing folded.

    >>> fold("  Driver\u2019s   LICENSE \u2013 Class A ")
    "driver's license - class a"
    """
    return " ".join(text.translate(FOLDS).casefold().split())


def occurs(value: str, text: str) -> bool:
    """Return whether value occurs in text as whole words, both folded.

    >>> occurs("Clerk I", "1102 | Clerk II | 10"), occurs("Clerk II", "1102 | CLERK  II | 10")
    (False, True)
    """
    return re.search(rf"(?<!\w){re.escape(fold(value))}(?!\w)", fold(text)) is not None


def visible_html(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def read_pages(document: Path) -> list[str]:
    """Return the document's text, one string per page (a text or DOCX document is one page)."""
    if document.suffix == ".pdf":
        pypdf = pytest.importorskip("pypdf")
        return [page.extract_text() for page in pypdf.PdfReader(document).pages]
    if document.suffix == ".docx":
        docx = pytest.importorskip("docx")
        opened = docx.Document(document)
        parts = [paragraph.text for paragraph in opened.paragraphs]
        parts += [" | ".join(cell.text for cell in row.cells) for table in opened.tables for row in table.rows]
        return ["\n".join(parts)]
    text = document.read_text(encoding="utf-8")
    return [visible_html(text) if document.suffix == ".html" else text]


def located_text(document: Path, locator: str) -> str:
    """Return the text a locator points at in the document."""
    match = LOCATOR.match(locator)
    assert match, f"{document.name}: locator {locator!r} is not 'line N', 'page N', 'paragraph N' or 'table T row R'"
    if match["line"]:
        lines = document.read_text(encoding="utf-8").splitlines()
        text = lines[int(match["line"]) - 1]
        return visible_html(text) if document.suffix == ".html" else text
    if match["page"]:
        return read_pages(document)[int(match["page"]) - 1]
    docx = pytest.importorskip("docx")
    opened = docx.Document(document)
    if match["paragraph"]:
        return opened.paragraphs[int(match["paragraph"]) - 1].text
    row = opened.tables[int(match["table"]) - 1].rows[int(match["row"]) - 1]
    return " | ".join(cell.text for cell in row.cells)


def amount_pattern(amount: float) -> re.Pattern[str]:
    """Return a pattern for an amount as printed, with or without thousands separators and cents.

    >>> bool(amount_pattern(68000).search("$68,000 - $91,000"))
    True
    >>> bool(amount_pattern(5990.5).search("$5,990.50 Monthly"))
    True
    >>> bool(amount_pattern(680).search("$68,000"))
    False
    """
    digits = str(int(amount)) if float(amount).is_integer() else f"{amount:.2f}"
    whole, _, cents = digits.partition(".")
    grouped = f"{int(whole):,}".replace(",", ",?")
    tail = re.escape("." + cents) if cents else r"(?:\.00)?"
    return re.compile(rf"(?<![\d.,]){grouped}{tail}(?![\d])")


# -- the folder ---------------------------------------------------------------------------------------------

def test_folder_has_the_layouts_and_documents() -> None:
    layouts = {path.parent.name for path in DOCUMENTS}
    assert len(layouts) >= MIN_LAYOUTS, sorted(layouts)
    for layout in layouts:
        count = sum(1 for path in DOCUMENTS if path.parent.name == layout)
        assert count >= MIN_DOCUMENTS_PER_LAYOUT, f"{layout}: {count} documents"
    assert {".docx", ".pdf"} <= {path.suffix for path in DOCUMENTS}


def test_every_file_belongs_to_a_document() -> None:
    documents = {path.name for path in DOCUMENTS}
    stems = {name.rsplit(".", 1)[0] for name in documents}
    assert len(stems) == len(documents), "two documents of one folder share a stem (and so an expected.json)"
    for path in LAYOUTS.rglob("*"):
        if path.is_dir() or "__pycache__" in path.parts or path.parent == LAYOUTS and path.name in HELPER_FILES:
            continue
        assert path.parent.parent == LAYOUTS, f"{path}: fixtures live one folder deep"
        if path.name.endswith(EXPECTED_SUFFIX):
            stem = path.name.removesuffix(EXPECTED_SUFFIX)
            assert any(doc.parent == path.parent and doc.name.rsplit(".", 1)[0] == stem for doc in DOCUMENTS), (
                f"{path.name}: no document for these facts")
        else:
            assert path.name.endswith(DOCUMENT_SUFFIXES), f"{path.name}: not a fixture document or expected.json"


# -- each document ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("document", DOCUMENTS, ids=IDS)
def test_expected_facts_have_the_documented_shape(document: Path) -> None:
    assert expected_path(document).is_file(), f"{document.name}: no {expected_path(document).name}"
    expected = load_expected(document)
    assert TOP_REQUIRED <= expected.keys(), f"missing {TOP_REQUIRED - expected.keys()}"
    for key, value in expected.items():
        assert key in TOP_KEYS, f"unknown key {key!r}"
        assert isinstance(value, TOP_KEYS[key]), f"{key}: {type(value).__name__}"
    assert expected["layout"] == document.parent.name
    assert expected["classes"], "no classes"
    for facts in expected["classes"]:
        where = facts.get("title", "?")
        assert CLASS_REQUIRED <= facts.keys(), f"{where}: missing {CLASS_REQUIRED - facts.keys()}"
        for key, value in facts.items():
            assert key in CLASS_KEYS, f"{where}: unknown key {key!r}"
            assert isinstance(value, CLASS_KEYS[key]) and not isinstance(value, bool), f"{where}: {key}"
            if key in LIST_ITEM_TYPES:
                assert all(isinstance(item, LIST_ITEM_TYPES[key]) for item in value), f"{where}: {key} items"
            if isinstance(value, str):
                assert value.strip(), f"{where}: {key} is empty"
        if "salary" in facts:
            salary = facts["salary"]
            assert set(salary) <= {"low", "high", "period", "currency"} and {"low", "high", "period"} <= set(salary)
            assert all(isinstance(salary[end], int | float) for end in ("low", "high"))
            assert 0 < salary["low"] <= salary["high"], f"{where}: salary"
            assert salary["period"] in SALARY_PERIODS, f"{where}: salary period {salary['period']!r}"
            assert re.fullmatch(r"[A-Z]{3}", salary.get("currency", "USD")), f"{where}: currency"
        assert facts["duties_min"] >= len(facts.get("duties_include", ())), f"{where}: duties_min"
        if "duty_percentages" in facts:
            assert sum(facts["duty_percentages"]) == 100, f"{where}: percentages of time"
            assert facts["duties_min"] >= len(facts["duty_percentages"]), f"{where}: duties_min"
        for feeder in facts.get("feeders", ()):
            assert set(feeder) == {"title", "months"}, f"{where}: feeder {feeder}"
            assert isinstance(feeder["title"], str) and isinstance(feeder["months"], int)
            assert feeder["title"] != facts["title"], f"{where}: a class feeds itself"
            assert feeder["months"] <= max(facts.get("experience_months") or [0]), (
                f"{where}: feeder months beyond every experience alternative")
        if facts.get("country", "United States") != "United States":
            assert "currency" in facts.get("salary", {"currency": "-"}), f"{where}: name the currency"
        kinds = LOCATOR_KINDS_BY_SUFFIX[document.suffix]
        for name, locator in facts.get("locators", {}).items():
            assert name in QUOTED_FIELDS, f"{where}: locator for {name!r}"
            match = LOCATOR.match(locator)
            assert match and {kind for kind, part in match.groupdict().items() if part} & kinds, (
                f"{where}: locator {locator!r} does not suit a {document.suffix} document")


@pytest.mark.parametrize("document", DOCUMENTS, ids=IDS)
def test_quoted_facts_occur_in_the_document(document: Path) -> None:
    text = "\n".join(read_pages(document))
    amounts = re.sub(r"\s+", " ", "\n".join(read_pages(document)))
    for facts in load_expected(document)["classes"]:
        quoted = [facts[key] for key in QUOTED_FIELDS if key in facts]
        quoted += [item for key in QUOTED_LISTS for item in facts.get(key, ())]
        quoted += [feeder["title"] for feeder in facts.get("feeders", ())]
        for value in quoted:
            assert occurs(value, text), f"{document.name}: {facts['title']}: {value!r} does not occur"
        if "salary" in facts:
            for end in ("low", "high"):
                assert amount_pattern(facts["salary"][end]).search(amounts), (
                    f"{document.name}: {facts['title']}: salary {end} {facts['salary'][end]} is not printed")


@pytest.mark.parametrize("document", DOCUMENTS, ids=IDS)
def test_locators_point_at_what_they_locate(document: Path) -> None:
    for facts in load_expected(document)["classes"]:
        for name, locator in facts.get("locators", {}).items():
            located = located_text(document, locator)
            assert occurs(facts[name], located), f"{document.name}: {name} {facts[name]!r} is not at {locator}"


RENDERED = [path for path in DOCUMENTS if "rendered_from" in load_expected(path)]


@pytest.mark.parametrize("document", RENDERED, ids=[f"{p.parent.name}/{p.name}" for p in RENDERED])
def test_rendered_documents_state_their_sources_facts(document: Path) -> None:
    expected = load_expected(document)
    source = document.with_name(expected["rendered_from"])
    assert source.is_file() and source.suffix in (".md", ".txt", ".html"), f"{document.name}: source {source.name}"
    source_expected = load_expected(source)

    def facts_without_locators(classes: list[dict]) -> list[dict]:
        return [{key: value for key, value in facts.items() if key != "locators"} for facts in classes]

    assert expected["layout"] == source_expected["layout"]
    assert facts_without_locators(expected["classes"]) == facts_without_locators(source_expected["classes"]), (
        f"{document.name}: facts differ from {source.name}; run tests/layouts/make_binaries.py")


def test_rendered_pdf_repeats_its_page_header() -> None:
    pdfs = [path for path in RENDERED if path.suffix == ".pdf"]
    assert pdfs
    for document in pdfs:
        pages = read_pages(document)
        assert len(pages) >= 2, f"{document.name}: one page (the header cannot be seen repeating)"
        first_lines = {page.strip().splitlines()[0] for page in pages}
        assert len(first_lines) == 1, f"{document.name}: page headers differ: {first_lines}"
        for number, page in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in page, f"{document.name}: page {number} has no page number"


def test_helpers_examples() -> None:
    import doctest
    import sys

    failures, _ = doctest.testmod(sys.modules[__name__])
    assert failures == 0
