"""The parser on layouts nobody wrote a rule for (issue 19): every fixture document of tests/layouts/ is read with
``read_source`` and ``parse_document``, and each class its expected.json states is compared fact by fact.

A class is matched by title (case-insensitive); a missing class fails every fact stated of it. A fact the parser
gets wrong, or cannot read yet, fails the test, unless it is listed in ``KNOWN_GAPS`` with the reason; a listed
gap is asserted to be still wrong, so the table stays honest (fix it, and the entry must go).

``score_document`` is also what ``bench/layouts.py`` prints, per field over all fixtures.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rolegraph.model import JobClass
from rolegraph.parser import parse_document
from rolegraph.rdf import emit_class_graphs
from rolegraph.rdf.namespaces import RG
from rolegraph.readers import read_source

LAYOUTS = Path(__file__).resolve().parent / "layouts"
EXPECTED_SUFFIX = ".expected.json"
DOCUMENT_SUFFIXES = (".md", ".txt", ".html", ".docx", ".pdf")
# The fields scored, in the order the bench prints them; the first six are the target (>= 0.90).
FIELDS = ("title", "code", "pay_grade", "department", "summary", "duties", "jurisdiction", "series", "experience",
          "feeders", "education", "licenses", "salary")
TARGET_FIELDS = FIELDS[:6]

# (document id, class title or "*" for every class, field or "*" for every field) -> why the parser still gets it
# wrong. Every fact an entry covers is asserted to be still wrong: when one comes right, the entry must change.
JURISDICTION = ("the employer is not read: places.toml's jurisdiction rules know cities and counties, not a "
                "province, council, school district or state government named on its own")
KNOWN_GAPS: dict[tuple[str, str, str], str] = {
    ("county-class-spec/planner-series", "*", "jurisdiction"): "'Marlow County, Oregon' alone on the first line "
        "is not read as the employer",
    ("county-class-spec/planner-series", "*", "series"): "the series is named only in the title 'Planner I / "
        "Planner II' and the text ('the professional planning series'): no label or titles-table caption names it",
    ("county-class-spec/planner-series", "Planner II", "education"): "'Same as Planner I': the level's education "
        "refers to the lower level's paragraph, which is not carried over",
    ("provincial-job-description/records-officer", "*", "licenses"): "'Certified Records Manager' is a "
        "certification phrases.toml's licence names do not know",
    ("provincial-job-description/policy-analyst", "*", "licenses"): "'driver's licence' in a 'Provisos' section, "
        "not a licences heading",
    ("provincial-job-description/policy-analyst-docx", "*", "licenses"): "as the Markdown rendering",
    ("provincial-job-description/policy-analyst-pdf", "*", "licenses"): "as the Markdown rendering",
    ("uk-council-role-profile/housing-options-officer", "*", "experience"): "the person specification is an "
        "Essential / Desirable table: its rows are not read as requirements ('two years\u2019 experience')",
    ("uk-council-role-profile/housing-options-officer", "*", "education"): "as experience",
    ("federal-position-description/management-analyst", "*", "jurisdiction"): JURISDICTION,
    ("federal-position-description/management-analyst", "*", "licenses"): "'A valid state driver's license is "
        "required' sits under Conditions of Employment, a section kept as text; no licences heading",
    ("federal-position-description/budget-analyst", "*", "jurisdiction"): JURISDICTION,
    ("federal-position-description/budget-analyst", "*", "department"): "'Agency: U.S. Department of the Army' "
        "(the employer) is read as the department: 'Agency' is a department label, and it comes before "
        "'Organization: Directorate of Resource Management, ...'",
    ("uk-council-role-profile/senior-planning-officer", "*", "experience"): "the person specification's "
        "'Qualifications' / 'Experience' lists are read as KSAs ('three years\u2019 experience' in British form)",
    ("uk-council-role-profile/senior-planning-officer", "*", "education"): "as experience",
    ("uk-council-role-profile/senior-planning-officer", "*", "licenses"): "'driving licence' and RTPI membership "
        "sit in the person specification, not under a licences heading",
    ("australian-state-position-description/project-officer", "*", "experience"): "'demonstrated experience (at "
        "least three years)' under Key selection criteria: the years in brackets after the word are not read",
    ("australian-state-position-description/project-officer", "*", "education"): "'A tertiary qualification ... "
        "is desirable' names no degree the education rules know",
    ("australian-state-position-description/senior-policy-officer", "*", "experience"): "'five (5) years\u2019 "
        "experience' (British possessive) is not read; the 'two (2) years\u2019 experience as a Policy Officer' is",
    ("australian-state-position-description/senior-policy-officer", "*", "education"): "as project-officer: "
        "'Tertiary qualifications' is no degree the education rules know",
    ("employer-headed-job-description/biosecurity-officer", "*", "experience"): "'At least two years\u2019 "
        "experience in pest management' (British possessive) is not read as a duration",
    ("employer-headed-job-description/biosecurity-officer", "*", "education"): "'A relevant tertiary qualification "
        "in environmental science' names no degree the education rules know",
    ("employer-headed-job-description/roads-inspector", "*", "experience"): "'At least two years\u2019 experience of "
        "roads maintenance' (British possessive) is not read as a duration",
    ("municipal-job-announcement/bylaw-enforcement-officer", "*", "education"): "'Post-secondary diploma in Law and "
        "Security Administration': a college diploma is no education the rules know",
    ("county-class-spec/heavy-equipment-mechanic", "*", "experience"): "'Four (4) years ..., including one (1) year "
        "..., OR three (3) years as a Fleet Mechanic': the included year is read as a third alternative",
    **{(document, "*", "jurisdiction"): JURISDICTION for document in (
        "australian-state-position-description/project-officer",
        "job-posting-page/librarian",
        "provincial-job-description/policy-analyst", "provincial-job-description/policy-analyst-docx",
        "provincial-job-description/policy-analyst-pdf", "school-district-job-description/head-custodian",
        "school-district-job-description/payroll-specialist", "school-district-job-description/payroll-specialist-docx",
        "state-position-description/revenue-field-agent")},
}


def known_gap(check: Check) -> str | None:
    """Why a fact is a known gap (an entry naming it, its class or field as "*"), else None."""
    document, title, name = check.key
    for key in ((document, title, name), (document, "*", name), (document, title, "*"), (document, "*", "*")):
        if key in KNOWN_GAPS:
            return KNOWN_GAPS[key]
    return None


def fold(text: str) -> str:
    """Case-folded text with typographic quotes and dashes made plain and white space collapsed.

    >>> fold("  Driver\u2019s   LICENSE \u2013 Class A ")
    "driver's license - class a"
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                                         "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-"}))
    return " ".join(text.split()).casefold()


def _packed(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def _grade(text: str) -> str:
    """A grade without white space or a leading "Grade"/"Range"/"Band"/"Level" ("Grade 14" and "14" are one)."""
    return re.sub(r"^(?:grade|range|band|level)(?=\d)", "", _packed(text))


@dataclass(frozen=True)
class Check:
    """One fact of one class: right, or what is wrong with it."""

    document: str
    title: str
    field: str
    problem: str | None  # None: right

    @property
    def key(self) -> tuple[str, str, str]:
        return self.document, self.title, self.field


def documents() -> list[Path]:
    """Every fixture document (each has an expected.json next to it)."""
    return sorted(path for path in LAYOUTS.glob("*/*") if path.suffix in DOCUMENT_SUFFIXES
                  and path.name != "README.md" and path.with_name(path.stem + EXPECTED_SUFFIX).is_file())


def document_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


# expected.json's period words -> model.SalaryRange.period ("biweekly" is every two weeks: a fortnight)
SALARY_PERIOD = {"year": "year", "month": "month", "biweekly": "fortnight", "fortnight": "fortnight",
                 "week": "week", "hour": "hour"}


def _check_title(expected: dict[str, Any], job: JobClass) -> str | None:
    return None if fold(job.title.value) == fold(expected["title"]) else f"title {job.title.value!r}"


def _check_code(expected: dict[str, Any], job: JobClass) -> str | None:
    found = job.code.value if job.code else None
    return None if found is not None and fold(found) == fold(expected["code"]) else f"code {found!r}"


def _check_pay_grade(expected: dict[str, Any], job: JobClass) -> str | None:
    grade = job.pay_grade
    if grade is None:
        return "no pay grade"
    readings = {_grade(grade.grade), _packed(f"{grade.plan or ''}{grade.grade}")}
    return None if _grade(expected["pay_grade"]) in readings else f"pay grade {grade.plan!r} {grade.grade!r}"


def _check_jurisdiction(expected: dict[str, Any], job: JobClass) -> str | None:
    found = job.jurisdiction
    if found is None:
        return "no jurisdiction"
    if found.name is not None and fold(found.name) == fold(expected["jurisdiction"]):
        return None
    state = expected.get("state")
    # an employer that is the state (province) itself may be read as that state
    if state and fold(state) in fold(expected["jurisdiction"]) and found.state and fold(found.state) == fold(state):
        return None
    return f"jurisdiction {found.name!r} (state {found.state!r})"


def _check_department(expected: dict[str, Any], job: JobClass) -> str | None:
    found = job.department.value if job.department else None
    return None if found is not None and fold(found) == fold(expected["department"]) else f"department {found!r}"


def _check_series(expected: dict[str, Any], job: JobClass) -> str | None:
    series = job.classification.series
    found = series.value if series else None
    if found is None:
        return "no series"
    # "Clerk Series" names the series "Clerk"
    return None if fold(re.sub(r"\s+series$", "", found, flags=re.IGNORECASE)) == fold(expected["series"]) \
        else f"series {found!r}"


def _check_summary(expected: dict[str, Any], job: JobClass) -> str | None:
    if job.summary is None:
        return "no summary"
    found = fold(job.summary.value)
    return None if found.startswith(fold(expected["summary_starts"])) else f"summary {found[:70]!r}"


def _check_duties(expected: dict[str, Any], job: JobClass) -> str | None:
    problems = []
    if len(job.duties) < expected["duties_min"]:
        problems.append(f"{len(job.duties)} duties, not at least {expected['duties_min']}")
    descriptions = [fold(re.sub(r"^[-*\u2022\d.)\s]+", "", duty.description)) for duty in job.duties]
    problems.extend(f"no duty starting {start!r}" for start in expected.get("duties_include", ())
                    if not any(text.startswith(fold(start)) for text in descriptions))
    return "; ".join(problems) or None


def _months(value: Decimal | int) -> int | Decimal:
    return int(value) if value == int(value) else value


def _check_experience(expected: dict[str, Any], job: JobClass) -> str | None:
    found = {_months(requirement.months) for requirement in job.experience}
    wanted = set(expected["experience_months"])
    return None if found == wanted else f"experience months {sorted(found)}, not {sorted(wanted)}"


def _check_feeders(expected: dict[str, Any], job: JobClass) -> str | None:
    found: set[tuple[str, int | Decimal]] = set()
    requirements = list(job.experience)
    while requirements:  # a part counted within a total ("including one year ... as a X") names its class too
        requirement = requirements.pop()
        found.update((fold(name), _months(requirement.months)) for name in requirement.in_classes)
        requirements.extend(requirement.included)
    missing = [feeder for feeder in expected["feeders"] if (fold(feeder["title"]), feeder["months"]) not in found]
    return f"feeders {sorted(found)} lack {missing}" if missing else None


def _words_in(words: Iterable[str], texts: Iterable[str], what: str) -> str | None:
    joined = " \n ".join(fold(text) for text in texts)
    missing = [word for word in words if fold(word) not in joined]
    return f"{what} lacks {missing}" if missing else None


def _check_education(expected: dict[str, Any], job: JobClass) -> str | None:
    return _words_in(expected["education_includes"], (text.value for text in job.education), "education")


def _check_licenses(expected: dict[str, Any], job: JobClass) -> str | None:
    return _words_in(expected["licenses_include"], (f"{found.name} {found.description}" for found in job.licenses),
                     "licences")


def _check_salary(expected: dict[str, Any], job: JobClass) -> str | None:
    """Some salary of the class has the amounts, currency (USD unless stated) and period expected."""
    salaries = job.bulletin.salaries if job.bulletin else ()
    wanted = expected["salary"]
    low, high = (None if wanted.get(key) is None else Decimal(str(wanted[key])) for key in ("low", "high"))
    reading = (low, high, wanted.get("currency", "USD"), SALARY_PERIOD[wanted["period"]])
    if any((salary.low, salary.high, salary.currency, salary.period) == reading for salary in salaries):
        return None
    return f"salaries {[salary.label for salary in salaries]}"


CHECKS = {  # field -> (the expected.json key that states it, its check)
    "title": ("title", _check_title),
    "code": ("code", _check_code),
    "pay_grade": ("pay_grade", _check_pay_grade),
    "department": ("department", _check_department),
    "summary": ("summary_starts", _check_summary),
    "duties": ("duties_min", _check_duties),
    "jurisdiction": ("jurisdiction", _check_jurisdiction),
    "series": ("series", _check_series),
    "experience": ("experience_months", _check_experience),
    "feeders": ("feeders", _check_feeders),
    "education": ("education_includes", _check_education),
    "licenses": ("licenses_include", _check_licenses),
    "salary": ("salary", _check_salary),
}
assert tuple(CHECKS) == FIELDS


def expected_fields(expected: dict[str, Any]) -> list[str]:
    """The scored fields an expected class states."""
    return [name for name, (key, _) in CHECKS.items() if key in expected]


def score_classes(document: str, expected_classes: list[dict[str, Any]],
                  classes: tuple[JobClass, ...]) -> list[Check]:
    """One Check per fact stated of each expected class, the class matched by title (case-insensitive)."""
    by_title = {fold(job.title.value): job for job in classes}
    checks = []
    for expected in expected_classes:
        job = by_title.get(fold(expected["title"]))
        for name in expected_fields(expected):
            problem = "class not found" if job is None else CHECKS[name][1](expected, job)
            checks.append(Check(document, expected["title"], name, problem))
    return checks


def score_document(path: Path) -> list[Check]:
    """Read and parse one fixture document and check each fact its expected.json states."""
    expected = json.loads(path.with_name(path.stem + EXPECTED_SUFFIX).read_text(encoding="utf-8"))
    classes = parse_document(read_source(path))
    return score_classes(document_id(path), expected["classes"], classes)


DOCUMENTS = documents()


def test_fixtures_found() -> None:
    assert len(DOCUMENTS) >= 28


def test_known_gaps_name_stated_facts() -> None:
    stated = set()
    for path in DOCUMENTS:
        expected = json.loads(path.with_name(path.stem + EXPECTED_SUFFIX).read_text(encoding="utf-8"))
        stated.update((document_id(path), title, name) for cls in expected["classes"]
                      for name in (*expected_fields(cls), "*") for title in (cls["title"], "*"))
    assert set(KNOWN_GAPS) <= stated


@pytest.mark.parametrize("path", DOCUMENTS, ids=document_id)
def test_layout_document(path: Path) -> None:
    checks = score_document(path)
    wrong = [f"{check.title}: {check.field}: {check.problem}" for check in checks
             if check.problem is not None and known_gap(check) is None]
    fixed = [f"{check.title}: {check.field} ({known_gap(check)})" for check in checks
             if check.problem is None and known_gap(check) is not None]
    assert not wrong, "wrong facts:\n" + "\n".join(wrong)
    assert not fixed, "known gaps now right (remove them from KNOWN_GAPS):\n" + "\n".join(fixed)


def test_scoring_fails_wrong_facts() -> None:
    """The checks see a wrong fact: a class parsed from its own document, compared with altered expectations."""
    path = LAYOUTS / "county-class-spec" / "planner-series.md"
    classes = parse_document(read_source(path))
    expected = json.loads(path.with_name(path.stem + EXPECTED_SUFFIX).read_text(encoding="utf-8"))["classes"][1]
    altered = dict(expected, code="9999", summary_starts="Performs", duties_min=99, experience_months=[24],
                   feeders=[{"title": "Planner III", "months": 12}], education_includes=["doctorate"],
                   licenses_include=["pilot"], department="Finance", series="Engineer", pay_grade="43",
                   jurisdiction="Marlow City", salary=dict(expected["salary"], currency="CAD"))
    problems = {check.field for check in score_classes("d", [altered], classes) if check.problem}
    assert problems >= set(FIELDS) - {"title"}
    missing = score_classes("d", [dict(expected, title="Planner IV")], classes)
    assert all(check.problem == "class not found" for check in missing)


def test_requirement_paths_each_have_their_own_node() -> None:
    """A person specification's "Experience: ..." paragraph and the "Qualifications: ..." one after it (a second
    qualification passage) state one requirement together: one path of two items, each with its own lines. Before,
    each passage was its own "path 1", so both wrote one node: every paragraph came out four times as path 1 with
    ranges such as 22-21. No fixture class has two paths of one number, nor a node of two source ranges."""
    (job,) = parse_document(read_source(LAYOUTS / "employer-headed-job-description" / "biosecurity-officer.docx"))
    (path,) = job.requirement_paths
    assert path.number == 1
    assert [item.text.split()[0] for item in path.items] == ["Experience:", "A"]
    assert [(item.where.line_start, item.where.line_end) for item in path.items] == [(21, 21), (22, 22)]
    for document in DOCUMENTS:
        classes = parse_document(read_source(document))
        for job in classes:
            numbers = [found.number for found in job.requirement_paths]
            assert len(numbers) == len(set(numbers)), f"{document_id(document)}: {job.title.value}: paths {numbers}"
        for graph in emit_class_graphs(classes):
            starts: dict[str, set[str]] = {}
            for quad in graph.quads:
                if quad.predicate == RG.lineStart:
                    starts.setdefault(str(quad.subject), set()).add(str(quad.object))
            doubled = {node: lines for node, lines in starts.items() if len(lines) > 1}
            assert not doubled, f"{document_id(document)}: nodes of two source ranges: {doubled}"
