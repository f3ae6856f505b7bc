"""Series pages in the layouts behind the CalHR coverage gaps of issue 19, as small HTML pages: each test names the
general rule it keeps honest (the CalHR pages themselves are measured by ``rolegraph coverage``)."""

from __future__ import annotations

from pathlib import Path

from rolegraph.parser import parse_document
from rolegraph.readers import read_source

TABLE = """<h1>Widget Series</h1>
<p>Widget Series Specification - Class Titles and Codes</p>
<table><tr><th>Schem Code</th><th>Class Code</th><th>Class</th></tr>
<tr><td>AA10</td><td>1001</td><td>Widget Analyst I</td></tr>
<tr><td>AA20</td><td>1002</td><td>Widget Analyst II (Specialist)</td></tr>
<tr><td>AA30</td><td>1003</td><td>Widget Analyst II (Supervisory)</td></tr></table>
"""


def _classes(tmp_path: Path, body: str) -> dict[str, object]:
    page = tmp_path / "series.html"
    page.write_text(f"<html><body>{TABLE}{body}</body></html>", encoding="utf-8")
    return {job_class.title.value: job_class for job_class in parse_document(read_source(page))}


def test_education_and_experience_requirements_headings_are_the_minimum_qualifications(tmp_path: Path) -> None:
    classes = _classes(tmp_path, """<h2>Definition of Series</h2><p>Analyses widgets.</p>
        <h2>Minimum Qualifications</h2><h2>Education Requirements</h2><h2>All Levels:</h2>
        <p>Graduation from college.</p><h2>Experience Requirements</h2>
        <h2>Widget Analyst I</h2><p>One year of experience analysing widgets.</p>
        <h2>Widget Analyst II (Specialist)</h2><p>Two years of experience analysing widgets.</p>
        <h2>Widget Analyst II (Supervisory)</h2><p>Three years of experience analysing widgets.</p>""")
    months = {title: [int(found.months) for found in job_class.experience] for title, job_class in classes.items()}
    assert months == {"Widget Analyst I": [12], "Widget Analyst II (Specialist)": [24],
                      "Widget Analyst II (Supervisory)": [36]}


def test_a_note_written_inline_stays_in_the_minimum_qualifications(tmp_path: Path) -> None:
    classes = _classes(tmp_path, """<h2>Definition of Series</h2><p>Analyses widgets.</p>
        <h2>Minimum Qualifications</h2>
        <p>NOTE: "Widget work" as used below includes gadget work.</p>
        <h2>All Levels:</h2><p>Two years of experience in widget work.</p>""")
    assert all(job_class.experience for job_class in classes.values())


def test_a_bracketed_heading_line_narrows_the_class_heading_above_it(tmp_path: Path) -> None:
    classes = _classes(tmp_path, """<h2>Definition of Levels</h2>
        <h2>Widget Analyst I</h2><p>This is the entry level.</p>
        <h2>Widget Analyst II</h2><h2>(Specialist)</h2><p>This is the specialist level.</p>
        <h2>Widget Analyst II</h2><h2>(Supervisory)</h2><p>This is the supervisory level.</p>""")
    summaries = {title: job_class.summary.value if job_class.summary else None
                 for title, job_class in classes.items()}
    assert summaries == {"Widget Analyst I": "This is the entry level.",
                         "Widget Analyst II (Specialist)": "This is the specialist level.",
                         "Widget Analyst II (Supervisory)": "This is the supervisory level."}
