"""The parser's layout, series and pattern tables: each entry's example gives what the entry says it gives."""

from __future__ import annotations

import pytest

from rolegraph.model import Line
from rolegraph.parser.layouts import Layout, detect_layout, load_layout_rules, marker_label
from rolegraph.parser.sections import split_sections
from rolegraph.parser.series import _columns, find_listed_classes, load_series_rules, scope_heading, table_cells
from rolegraph.parser.tables import load_rules
from rolegraph.readers.text import read_text_source

LAYOUTS = load_layout_rules().layouts


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_a_layout_detects_its_example(layout: Layout, tmp_path) -> None:
    path = tmp_path / "example.txt"
    path.write_text("\n\n".join(layout.example) + "\n", encoding="utf-8")
    document = read_text_source(path, path.read_bytes(), "0")
    split = split_sections(document, load_rules())
    listed = find_listed_classes(document.lines)
    marker = load_layout_rules().marker
    patterns = any(marker.search(line.text) for section in split.sections for line in section.lines)
    found = detect_layout({section.name for section in split.sections}, bool(listed), patterns,
                          lines=[line.text for line in split.header])
    assert found.name == layout.expect


def test_the_last_layout_takes_every_other_document() -> None:
    assert detect_layout((), False, False).name == LAYOUTS[-1].name == "general"


@pytest.mark.parametrize("name, pattern, example, expect", load_layout_rules().markers,
                         ids=lambda value: str(value)[:30])
def test_a_pattern_marker_captures_its_example(name: str, pattern, example: str, expect: dict) -> None:
    match = load_layout_rules().marker.search(example)
    assert match is not None and pattern.search(example) is not None, name
    assert marker_label(match) == expect["label"]


def test_the_class_table_example_has_the_columns_it_expects() -> None:
    from rolegraph.resources import rule_table

    table = rule_table("series")
    cells = table_cells(table["class_table"]["example"])
    assert cells is not None
    assert _columns(cells, load_series_rules()) == table["class_table"]["expect"]
    notes = table["class_table"]
    assert load_series_rules().title_notes.sub("", notes["title_notes_example"]) == notes["title_notes_expect"]
    for cell, title in notes["title_notes_examples"]:  # an abolished class keeps its title, bracket closed or not
        assert load_series_rules().title_notes.sub("", cell) == title


def test_the_scope_examples_name_what_they_say() -> None:
    from rolegraph.resources import rule_table

    scope = rule_table("series")["scope"]
    titles = ["Information Systems Technician Specialist I", "Information Systems Technician Supervisor I", "Clerk"]
    assert scope_heading(scope["example"], titles) == (0, 1)
    assert scope_heading(scope["all_pattern_example"], titles, heading=True) == (-1,)
    assert scope_heading(scope["all_pattern_example"], titles, heading=False) is None
    ladder = ["Assistant Land Surveyor", "Associate Land Surveyor", "Senior Land Surveyor"]
    assert scope_heading(scope["and_above_example"], ladder) == (1, 2)
    assert scope_heading(scope["all_except_example"], ladder) == (0, 2)


def test_a_series_document_defines_one_class_per_row_with_its_own_lines(tmp_path) -> None:
    from rolegraph.parser import parse_document

    text = "\n\n".join([
        "Clerk Series", "Class Code | Class Title", "101 | Clerk I", "102 | Clerk II",
        "Definition", "Clerk I", "Performs routine filing.", "Clerk II", "Performs varied clerical work.",
        "Minimum Qualifications", "Clerk I", "Either I", "Six months of clerical experience.",
        "Or II", "Graduation from high school.",
        "Clerk II", "One year of experience performing the duties of a Clerk I.",
    ]) + "\n"
    path = tmp_path / "clerks.txt"
    path.write_text(text, encoding="utf-8")
    first, second = parse_document(read_text_source(path, path.read_bytes(), "0"))
    assert (first.title.value, first.code.value, second.title.value, second.code.value) == (
        "Clerk I", "101", "Clerk II", "102")
    assert first.summary.value == "Performs routine filing."
    assert second.summary.value == "Performs varied clerical work."
    assert [path.number for path in first.requirement_paths] == [1, 2]
    assert [(e.months, e.in_classes) for e in second.experience] == [(12, ("Clerk I",))]
    assert (first.classification.series_order, second.classification.series_order) == (1, 2)
    assert first.title.where.line_start == 5  # the class's row of the titles table
    assert Line(5, "101 | Clerk I") in read_text_source(path, path.read_bytes(), "0").lines
