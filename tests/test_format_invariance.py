"""Format invariance: a document rendered to DOCX, HTML and PDF (tests/render_formats.py, from the blocks rolegraph
reads in it) gives the same facts as the original: title, code, pay grade, jurisdiction, department, series,
summary, number of duties, requirement paths, feeder classes and their months, number of KSA statements.

Facts are compared as values: where a fact was found (file, line, page, paragraph) differs by nature between
formats and is left out, as are the source's name, digest and media type. Text is compared with white space and
typographic quotes and dashes folded (a PDF's text layer sets them in ASCII, and its lines are wrapped anew).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from render_formats import FORMATS, Look, render, source_blocks

from rolegraph.model import JobClass, Provenance, SourceDocumentRef
from rolegraph.parser import parse_document
from rolegraph.readers import read_source

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpus"
SEEDS = sorted((ROOT / "examples" / "specs").glob("*.txt"))
CALHR = [SHARED / "calhr-specs" / "specs" / name for name in ("1360.html", "0010.html", "0108.html")]
LA = [SHARED / "la-bulletins" / "Job Bulletins" / name for name in (
    "311 DIRECTOR  9206 041814.txt", "ACCOUNTING CLERK 1223 071318.txt", "SENIOR ELECTRICAL INSPECTOR 4223 042718.txt")]
DOCUMENTS = [*SEEDS, *CALHR, *LA]
# Renderings: each format, and DOCX once more with numbered items numbered by Word's automatic numbering (a list
# definition in the numbering part) rather than typed, so the reader must count them as Word does.
RENDERINGS: dict[str, tuple[str, Look]] = {**{fmt: (fmt, Look()) for fmt in FORMATS},
                                           "docx-numbering": ("docx", Look(word_numbering=True))}

FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                      "\u00a0": " "})
# Differences that remain, by (document, format): field -> why. Each is strict: once equal, the test fails until
# the entry goes. None remain: a PDF's lines are rendered from its font blocks, so its headings reach the parser
# as those of the HTML and DOCX do.
TOLERATED: dict[tuple[str, str], dict[str, str]] = {}


def fold(text: str) -> str:
    return " ".join(text.translate(FOLD).split())


def plain(value: object) -> object:
    """A model value as plain data: provenance and source references left out, text folded."""
    if isinstance(value, Provenance | SourceDocumentRef):
        return None
    if dataclasses.is_dataclass(value):
        return tuple((field.name, plain(getattr(value, field.name))) for field in dataclasses.fields(value)
                     if not isinstance(getattr(value, field.name), Provenance))
    if isinstance(value, tuple | list):
        return tuple(plain(item) for item in value)
    if isinstance(value, str):
        return fold(value)
    return value


def feeders(job_class: JobClass) -> list[tuple[str, Decimal]]:
    """(class named, months) of every experience requirement that names a class, paths included."""
    found = []

    def visit(requirement) -> None:  # noqa: ANN001
        found.extend((fold(name), requirement.months) for name in requirement.in_classes)
        for inner in requirement.included:
            visit(inner)

    def visit_item(item) -> None:  # noqa: ANN001
        for requirement in item.experience:
            visit(requirement)
        for inner in item.items:
            visit_item(inner)

    for requirement in job_class.experience:
        visit(requirement)
    for path in job_class.requirement_paths:
        for item in path.items:
            visit_item(item)
    return sorted(set(found))


def facts(job_class: JobClass) -> dict[str, object]:
    """The facts compared, by field."""
    return {
        "title": fold(job_class.title.value),
        "code": job_class.code and job_class.code.value,
        "pay_grade": job_class.pay_grade and (job_class.pay_grade.plan, job_class.pay_grade.grade),
        "jurisdiction": plain(job_class.jurisdiction and dataclasses.replace(
            job_class.jurisdiction, evidence=job_class.jurisdiction.evidence.value)),
        "department": job_class.department and fold(job_class.department.value),
        "series": job_class.classification.series and fold(job_class.classification.series.value),
        "summary": job_class.summary and fold(job_class.summary.value),
        "duties": len(job_class.duties),
        "requirement_paths": plain(job_class.requirement_paths),
        "feeders": feeders(job_class),
        "ksas": len(job_class.ksas),
    }


def differences(original: tuple[JobClass, ...], rendered: tuple[JobClass, ...]) -> dict[str, tuple[object, object]]:
    """Field -> (original, rendered) where the facts differ; "classes" when the classes themselves differ."""
    if [job_class.title.value for job_class in original] != [job_class.title.value for job_class in rendered]:
        return {"classes": ([c.title.value for c in original], [c.title.value for c in rendered])}
    found = {}
    for number, (before, after) in enumerate(zip(original, rendered, strict=True)):
        for field, value in facts(before).items():
            if facts(after)[field] != value:
                found[f"{number}.{field}" if len(original) > 1 else field] = (value, facts(after)[field])
    return found


@pytest.fixture(scope="module")
def originals() -> dict[Path, tuple[tuple[JobClass, ...], tuple]]:
    return {}


@pytest.mark.parametrize("fmt", RENDERINGS)
@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_rendering_keeps_the_facts(path: Path, fmt: str, tmp_path: Path, originals: dict) -> None:
    if not path.is_file():
        pytest.skip(f"{path.name} not found (../shared is absent on this machine)")
    if path not in originals:
        originals[path] = (parse_document(read_source(path)), source_blocks(path))
    classes, blocks = originals[path]
    suffix, look = RENDERINGS[fmt]
    data, _placed = render(blocks, suffix, look)
    rendered = tmp_path / f"{path.stem}.{suffix}"
    rendered.write_bytes(data)
    found = differences(classes, parse_document(read_source(rendered)))
    tolerated = TOLERATED.get((path.name, fmt), {})
    assert {field: values for field, values in found.items() if field not in tolerated} == {}
    assert set(tolerated) <= set(found), f"tolerated but equal now: {set(tolerated) - set(found)}"
