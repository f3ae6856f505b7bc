"""Every fact of gold/seeds.json, checked against what rolegraph reads from the seed specifications.

Checked twice: on the parsed model (with 000 and 001 together and 001 alone) and through SPARQL on the store.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rolegraph.model import JobClass
from rolegraph.pipeline import parse_paths

Gold = dict


def fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def contains(haystack: str | None, needle: str) -> bool:
    return fold(needle) in fold(haystack)


@pytest.fixture(scope="module")
def classes(specs_dir: Path) -> list[JobClass]:
    return parse_paths([specs_dir]).classes


def gold_classes(gold: Gold) -> list[dict]:
    return gold["job_classes"]


def find(classes: list[JobClass], entry: dict) -> JobClass:
    wanted = set(entry["sources"])
    found = [job_class for job_class in classes if {source.name for source in job_class.sources} == wanted]
    assert len(found) == 1, f"expected one class built from {sorted(wanted)}, got {len(found)}"
    return found[0]


def test_class_count(classes: list[JobClass], gold: Gold) -> None:
    real = [job_class for job_class in classes if not job_class.stub]
    assert len(real) == gold["job_classes_total"]


def test_named_but_not_specified(classes: list[JobClass], gold: Gold) -> None:
    stubs = [job_class for job_class in classes if job_class.stub]
    for entry in gold["job_classes_named_but_not_specified"]:
        matching = [stub for stub in stubs if fold(stub.title.value) == fold(entry["title"])]
        assert len(matching) == 1, entry
        stub = matching[0]
        assert contains(stub.jurisdiction.name, entry["jurisdiction_contains"])
        assert stub.named_in and stub.named_in[0].where.source == entry["from"]
    assert len(stubs) == len(gold["job_classes_named_but_not_specified"])


KEYS = ["elpaso-1341", "elpaso-1343", "houston-885.2", "unknown-11360"]


@pytest.fixture(params=KEYS)
def pair(request: pytest.FixtureRequest, classes: list[JobClass], gold: Gold) -> tuple[dict, JobClass]:
    entry = next(entry for entry in gold_classes(gold) if entry["key"] == request.param)
    return entry, find(classes, entry)


def test_gold_keys_are_all_checked(gold: Gold) -> None:
    assert sorted(entry["key"] for entry in gold_classes(gold)) == sorted(KEYS)


def test_identity(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    assert job_class.code is not None and job_class.code.value == entry["code"]
    assert job_class.title.value == entry["title"]
    assert sorted(source.name for source in job_class.sources) == sorted(entry["sources"])


def test_jurisdiction(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    expected = entry["jurisdiction"]
    assert job_class.jurisdiction is not None
    assert job_class.jurisdiction.state == expected["state"]
    if expected["name_contains"] is None:
        assert job_class.jurisdiction.name is None, "a spec that names no city must not get one"
        assert job_class.jurisdiction.inferred
        assert "Texas" in job_class.jurisdiction.evidence.value
    else:
        assert contains(job_class.jurisdiction.name, expected["name_contains"])
        assert not job_class.jurisdiction.inferred


def test_pay_grade(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    assert job_class.pay_grade is not None
    assert job_class.pay_grade.plan == entry["pay_grade"]["plan"]
    assert job_class.pay_grade.grade == entry["pay_grade"]["grade"]


def test_header_facts(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    if "ordinance" in entry:
        assert job_class.ordinance is not None
        assert job_class.ordinance.number == entry["ordinance"]["number"]
        assert job_class.ordinance.date == entry["ordinance"]["date"]
    if "effective" in entry:
        assert job_class.effective_date is not None and job_class.effective_date.value == entry["effective"]
    if "classification" in entry:
        expected = entry["classification"]
        classification = job_class.classification
        assert contains(classification.branch and classification.branch.value, expected["branch_contains"])
        assert contains(classification.group and classification.group.value, expected["group_contains"])
        assert contains(classification.series and classification.series.value, expected["series_contains"])
    assert job_class.summary is not None
    assert fold(job_class.summary.value).startswith(fold(entry["summary_starts_with"]))


def test_duties(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    expected = entry["duties"]
    if isinstance(expected, dict):  # a flat list of duties (Houston)
        assert len(job_class.duties) == expected["count"]
        texts = [duty.description for duty in job_class.duties]
        for needle in expected["contains"]:
            assert any(contains(text, needle) for text in texts), needle
        return
    assert len(job_class.duties) == len(expected)
    for duty, wanted in zip(job_class.duties, expected, strict=True):
        assert fold(duty.description).startswith(fold(wanted["starts_with"]))
        count = wanted["tasks"]
        low, high = (count, count) if isinstance(count, int) else count
        assert low <= len(duty.tasks) <= high, (wanted["starts_with"], len(duty.tasks))
        for needle in wanted.get("task_contains", []):
            assert any(contains(task.description, needle) for task in duty.tasks), needle


def test_knowledge(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    knowledge = job_class.ksas_of("knowledge")
    for wanted in entry.get("knowledge", []):
        matching = [ksa for ksa in knowledge if contains(ksa.text, wanted["contains"])]
        assert matching, wanted
        assert all(ksa.level == wanted["level"] for ksa in matching), (wanted, [k.level for k in matching])


def test_abilities_and_skills(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    for kind, key in (("ability", "abilities"), ("skill", "skills")):
        if key not in entry:
            continue
        expected = entry[key]
        items = job_class.ksas_of(kind)
        count = expected["count"]
        low, high = (count, count) if isinstance(count, int) else count
        assert low <= len(items) <= high, (kind, len(items))
        for needle in expected["contains"]:
            assert any(contains(ksa.text, needle) for ksa in items), needle


def test_education(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    text = " ".join(item.value for item in job_class.education)
    for needle in entry["education"]["contains"]:
        assert contains(text, needle), needle


def test_experience(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    assert len(job_class.experience) == 1, "every seed states one experience requirement"
    total = job_class.experience[0]
    wanted_total = [item for item in entry["experience"] if item.get("role", "total") == "total"]
    wanted_parts = [item for item in entry["experience"] if item.get("role", "total") != "total"]
    assert total.months == Decimal(wanted_total[0]["months"])
    assert contains(total.field, wanted_total[0]["contains"])
    assert len(total.included) == len(wanted_parts)
    for part, wanted in zip(total.included, wanted_parts, strict=True):
        assert part.months == Decimal(wanted["months"])
        assert contains(part.field, wanted["contains"])
    assert sum(part.months for part in total.included) <= total.months


def test_substitution(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    if "substitution_allowed" in entry:
        assert (job_class.substitution is not None) == entry["substitution_allowed"]


def test_licenses(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    assert len(job_class.licenses) == len(entry["licenses"])
    for license_, wanted in zip(job_class.licenses, entry["licenses"], strict=True):
        assert contains(license_.name, wanted["contains"])
        expected_required = "required" if wanted["required"] is True else wanted["required"]
        assert license_.required == expected_required
        if "issuer_contains" in wanted:
            assert contains(license_.issuer, wanted["issuer_contains"])
        if "within_months_of_appointment" in wanted:
            assert license_.within_months_of_appointment == wanted["within_months_of_appointment"]


def test_context_fields(pair: tuple[dict, JobClass]) -> None:
    entry, job_class = pair
    if "supervision_exercised" in entry:
        wanted = entry["supervision_exercised"]
        assert contains(job_class.supervision.direct.value, wanted["direct_contains"])
        assert wanted["indirect"] == "none" and fold(job_class.supervision.indirect.value).startswith("no ")
    if "job_family" in entry:
        assert [fold(item.value) for item in job_class.job_family] == [fold(t) for t in entry["job_family"]]
    for needle in entry.get("work_context_contains", []):
        assert any(contains(item.value, needle) for item in job_class.work_context), needle
    for needle in entry.get("other_characteristics_contains", []):
        assert any(contains(item.value, needle) for item in job_class.other_characteristics), needle


def test_every_fact_has_provenance(classes: list[JobClass]) -> None:
    for job_class in classes:
        if job_class.stub:
            continue
        names = {source.name for source in job_class.sources}
        facts = [job_class.title.where, *(duty.where for duty in job_class.duties),
                 *(task.where for duty in job_class.duties for task in duty.tasks),
                 *(ksa.where for ksa in job_class.ksas), *(item.where for item in job_class.experience)]
        for where in facts:
            assert where.source in names
            assert 1 <= where.line_start <= where.line_end


def test_repeated_page_header_is_not_a_second_class(classes: list[JobClass]) -> None:
    from_004 = [c for c in classes if any(s.name.startswith("004_") for s in c.sources)]
    assert len(from_004) == 1


def test_001_alone_is_the_clerk_without_code_grade_or_jurisdiction(specs_dir: Path, gold: Gold) -> None:
    [job_class] = parse_paths([specs_dir / "001_2d86a1cef3b5cf81.txt"]).classes
    clerk = next(entry for entry in gold_classes(gold) if entry["key"] == "elpaso-1341")
    assert job_class.title.value == clerk["title"]
    assert job_class.code is None and job_class.pay_grade is None and job_class.jurisdiction is None
    assert job_class.title.where.line_start == 7
    assert len(job_class.duties) == len(clerk["duties"])
    assert [len(duty.tasks) for duty in job_class.duties] == [duty["tasks"] for duty in clerk["duties"]]
    assert job_class.experience[0].months == Decimal(24)


def test_merged_clerk_records_evidence(classes: list[JobClass]) -> None:
    clerk = next(c for c in classes if c.code and c.code.value == "1341")
    [evidence] = clerk.merge_evidence
    assert evidence.method == "text-similarity"
    assert evidence.title_score >= 90 and evidence.duties_score >= 85
    assert clerk.conflicts == ()
