"""City of Los Angeles bulletins: hand-checked golds (tests/data/gold/la_sample*.json), corpus coverage, odd files.

Two golds, each read by eye: la_sample.json (40 bulletins drawn with random.Random(2019).sample(sorted(file names),
40), the sample the parser was tuned on) and la_sample_2.json (60 more, random.Random(7) over the names not in the
first). Their "conventions" say how each field was read. Field accuracy (per field and overall) and feeder-class
precision/recall are asserted against each.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from rolegraph.errors import NotASpecification
from rolegraph.model import JobClass
from rolegraph.parser import parse_spec
from rolegraph.parser.requirements import all_items
from rolegraph.parser.tables import fold
from rolegraph.readers import read_source

GOLD_DIR = Path(__file__).resolve().parent / "data" / "gold"
GOLD_FILES = ("la_sample.json", "la_sample_2.json")
GOLDS = {name: json.loads((GOLD_DIR / name).read_text(encoding="utf-8")) for name in GOLD_FILES}
GOLD = GOLDS["la_sample.json"]  # the first gold (tests/golden/la_sample_coverage.txt reports on it)
FIELDS = ("code", "title", "open_date", "exam_type", "salary_gen", "salary_dwp", "requirement_paths",
          "drivers_license")
LICENSE_CODE = {"required": "R", "possibly required": "P"}
FIELD_ACCURACY_TARGET = 0.99
PER_FIELD_TARGET = 0.95
FEEDER_TARGET = 0.95
COVERAGE_TARGET = 0.99


def project(job_class: JobClass) -> dict:
    """The gold's view of a parsed class."""
    bulletin = job_class.bulletin
    assert bulletin is not None
    salaries = bulletin.salaries
    license_ = bulletin.drivers_license
    return {
        "code": job_class.code.value if job_class.code else None,
        "title": job_class.title.value,
        "open_date": bulletin.open_date.value if bulletin.open_date else None,
        "exam_type": bulletin.exam_type.value if bulletin.exam_type else None,
        "salary_gen": [salary.label.replace("$", "") for salary in salaries if not salary.dwp],
        "salary_dwp": [salary.label.replace("$", "") for salary in salaries if salary.dwp],
        "requirement_paths": len(job_class.requirement_paths),
        "drivers_license": LICENSE_CODE.get(license_.required) if license_ else None,
    }


def feeders(job_class: JobClass) -> set[tuple[str, int]]:
    """(title, months) of every class named in an experience requirement, parts included."""
    found: set[tuple[str, int]] = set()

    def visit(requirement) -> None:
        found.update((fold(name), int(requirement.months)) for name in requirement.in_classes)
        for part in requirement.included:
            visit(part)

    for path in job_class.requirement_paths:
        for item in all_items(path.items):
            for requirement in item.experience:
                visit(requirement)
    return found


def gold_sample(names: list[str], gold: dict) -> list[str]:
    """The file names a gold documents: its seed's draw of its size, over the names no earlier gold holds."""
    taken = {entry["file"] for name in gold.get("excludes", "").split() for entry in GOLDS[name]["bulletins"]}
    return random.Random(gold["seed"]).sample([name for name in names if name not in taken], gold.get("size", 40))


@pytest.fixture(scope="module", params=GOLD_FILES)
def gold_file(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def sample(la_corpus: Path, gold_file: str) -> list[tuple[dict, JobClass]]:
    return [(entry, parse_spec(read_source(la_corpus / entry["file"]))) for entry in GOLDS[gold_file]["bulletins"]]


def wrong_fields(sample: list[tuple[dict, JobClass]]) -> list[tuple[str, str, object, object]]:
    """(file, field, gold value, parsed value) of every field the parser gets wrong."""
    return [(entry["file"], name, entry[name], parsed[name])
            for entry, job_class in sample for parsed in [project(job_class)] for name in FIELDS
            if entry[name] != parsed[name]]


@pytest.mark.parametrize("gold_file", GOLD_FILES)
def test_gold_is_the_documented_sample(la_corpus: Path, gold_file: str) -> None:
    gold = GOLDS[gold_file]
    names = sorted(path.name for path in la_corpus.iterdir())
    assert [entry["file"] for entry in gold["bulletins"]] == gold_sample(names, gold)


def test_golds_do_not_overlap() -> None:
    files = [entry["file"] for gold in GOLDS.values() for entry in gold["bulletins"]]
    assert len(files) == len(set(files)) == 100


@pytest.mark.parametrize("gold_file", GOLD_FILES)
def test_gold_entries_are_complete(gold_file: str) -> None:
    for entry in GOLDS[gold_file]["bulletins"]:
        assert {"file", *FIELDS, "feeders"} <= set(entry), entry["file"]
        assert all(isinstance(title, str) and isinstance(months, int) for title, months in entry["feeders"])


def test_field_accuracy(sample: list[tuple[dict, JobClass]]) -> None:
    wrong = wrong_fields(sample)
    accuracy = 1 - len(wrong) / (len(sample) * len(FIELDS))
    assert accuracy >= FIELD_ACCURACY_TARGET, f"field accuracy {accuracy:.3f}; wrong: {wrong}"


@pytest.mark.parametrize("field", FIELDS)
def test_field_accuracy_per_field(sample: list[tuple[dict, JobClass]], field: str) -> None:
    wrong = [(file, gold, parsed) for file, name, gold, parsed in wrong_fields(sample) if name == field]
    accuracy = 1 - len(wrong) / len(sample)
    assert accuracy >= PER_FIELD_TARGET, f"{field} accuracy {accuracy:.3f}; wrong (file, gold, parsed): {wrong}"


def test_feeder_precision_and_recall(sample: list[tuple[dict, JobClass]]) -> None:
    expected = {(entry["file"], fold(title), months) for entry, _ in sample for title, months in entry["feeders"]}
    found = {(entry["file"], *feeder) for entry, job_class in sample for feeder in feeders(job_class)}
    right = expected & found
    precision = len(right) / len(found) if found else 1.0
    recall = len(right) / len(expected)
    assert precision >= FEEDER_TARGET and recall >= FEEDER_TARGET, (
        f"precision {precision:.3f} recall {recall:.3f}; missing {sorted(expected - found)}; "
        f"extra {sorted(found - expected)}")


@pytest.fixture(scope="module")
def corpus(la_corpus: Path) -> tuple[list[JobClass], list[str]]:
    classes, refused = [], []
    for path in sorted(la_corpus.iterdir()):
        try:
            classes.append(parse_spec(read_source(path)))
        except NotASpecification as error:
            refused.append(f"{path.name}: {error.reason}")
    return classes, refused


def test_corpus_coverage(corpus: tuple[list[JobClass], list[str]]) -> None:
    """At least 99 % of bulletins yield code, title, salary, duties and requirements."""
    classes, _ = corpus
    yielded = Counter()
    for job_class in classes:
        bulletin = job_class.bulletin
        yielded["code"] += job_class.code is not None
        yielded["title"] += bool(job_class.title.value)
        yielded["salary"] += bool(bulletin and bulletin.salaries)
        yielded["duties"] += bool(job_class.duties)
        yielded["requirements"] += bool(job_class.requirement_paths)
    low = {name: count / len(classes) for name, count in yielded.items() if count / len(classes) < COVERAGE_TARGET}
    assert not low, f"fields below {COVERAGE_TARGET:.0%} of {len(classes)} bulletins: {low}"


def test_only_the_exempt_notice_is_refused(corpus: tuple[list[JobClass], list[str]]) -> None:
    _, refused = corpus
    assert len(refused) == 1 and refused[0].startswith("Vocational Worker  DEPARTMENT OF PUBLIC WORKS.txt: ")
    assert "exempt" in refused[0]


def test_every_bulletin_names_los_angeles(corpus: tuple[list[JobClass], list[str]]) -> None:
    classes, _ = corpus
    wrong = [job_class.sources[0].name for job_class in classes
             if job_class.jurisdiction is None or job_class.jurisdiction.name != "City of Los Angeles"
             or job_class.jurisdiction.state != "California"]
    assert not wrong


# One regression test per odd bulletin (SOURCE.md lists the quirks).
ODD = {
    "cp1252": ("POLICE COMMANDER 2251 092917.txt", "2251", "Police Commander"),
    "bare-cr": ("CHIEF PARK RANGER 1968 120106 REV 121306.txt", "1968", "Chief Park Ranger"),
    "no-code-in-name": ("FIRE SPECIAL INVESTIGATOR 021216.txt", "1632", "Fire Special Investigator"),
    "mixed-case-title": ("TILE SETTER 3493 090415.txt", "3493", "Tile Setter"),
    "title-with-alias": ("EQUIPMENT MECHANIC 3711 051818.txt", "3711", "Equipment Mechanic"),
    "single-word-title": ("ROOFER 3476 121214.txt", "3476", "Roofer"),
    "two-line-title": ("BUILDING CONSTRUCTION AND MAINTENANCE SUPERINTENDENT 3124 122818.txt", "3124",
                       "Building Construction and Maintenance Superintendent"),
    "acronym-in-title": ("EMERGENCY MEDICAL SERVICES EDUCATOR  2322 110615 REV 112515.txt", "2322",
                         "Emergency Medical Services (EMS) Educator"),
}


@pytest.mark.parametrize("case", sorted(ODD), ids=str)
def test_odd_bulletin(la_corpus: Path, case: str) -> None:
    name, code, title = ODD[case]
    job_class = parse_spec(read_source(la_corpus / name))
    assert job_class.code is not None and job_class.code.value == code
    assert job_class.title.value == title
    assert job_class.bulletin is not None and job_class.bulletin.salaries and job_class.requirement_paths


# One regression test per error pattern the second gold showed, on bulletins in neither gold (read by eye):
# file -> (requirement paths, feeders).
PATTERNS = {
    "numbered-substitutions-after-the-requirement": (
        "SENIOR LOAD DISPATCHER 5235 060118.txt", 1, {("load dispatcher", 36)}),
    "items-after-the-following-may-be-substituted": (
        "SENIOR HOUSING INSPECTOR 4244 042718.txt", 1, {("housing inspector", 24)}),
    "numbered-substitution": ("TRANSPORTATION INVESTIGATOR 4271 061016.txt", 1, set()),
    "conditions-with-no-conjunction-hold-on-every-path": ("POLICE OFFICER 2214 110906 Rev 060115.txt", 1, set()),
    "hours-of-experience": ("AIRPORT INFORMATION SPECIALIST 1783 121115.txt", 2,
                            {("airport guide", 12), ("airport guide", 24), ("airport information aide", 24)}),
    "item-opening-with-a-number": ("ADMINISTRATIVE HEARING EXAMINER 9135 100915.txt", 4,
                                   {("management aide", 24), ("management assistant", 24),
                                    ("senior traffic supervisor", 24), ("transportation investigator", 24)}),
    "or-as-a": ("COMMERCIAL FIELD REPRESENTATIVE 1600 120718.txt", 2,
                {("meter reader", 24), ("customer service representative", 24), ("senior administrative clerk", 24)}),
    "of-which-must-be-as-a": ("STEAM PLANT OPERATOR 5624 101416.txt", 1,
                              {("steam plant assistant", 36), ("station equipment operator", 12),
                               ("controls mechanic", 12)}),
    "requirement-going-on-into-numbered-items": ("SENIOR PHOTOGRAPHER 1795 041516 REVISED 042816.txt", 2,
                                                 {("photographer", 24)}),
    "bracketed-letter-after-a-number": ("ANIMAL KEEPER 4304 083118.txt", 2, set()),
    "hire-the-employee-as-is-not-a-feeder": ("ANIMAL CARE ASSISTANT 4323 020119.txt", 1, {("vocational worker", 6)}),
    "city-classes-among-lowercase-roles": ("DETENTION OFFICER 3211 113018.txt", 6,
                                           {("police student worker", 6), ("associate community officer", 6),
                                            ("police officer", 0)}),
    "as-without-an-article": ("SIGNAL SYSTEMS SUPERINTENDENT 3832 110416.txt", 1, {("signal systems supervisor", 24)}),
    "in-the-class-of": ("COMMUNICATIONS ELECTRICIAN SUPERVISOR 3689 012717.txt", 2,
                        {("senior communications electrician", 24), ("communications electrician", 48)}),
    "hours-with-the-city-as-a": ("PARK SERVICES ATTENDANT 2412 032219.txt", 1,
                                 {("assistant park services attendant", 3), ("swimming pool clerk", 3),
                                  ("museum guide", 3), ("park activity monitor", 3), ("recreation assistant", 3)}),
}


@pytest.mark.parametrize("case", sorted(PATTERNS), ids=str)
def test_requirement_pattern(la_corpus: Path, case: str) -> None:
    name, paths, expected = PATTERNS[case]
    job_class = parse_spec(read_source(la_corpus / name))
    assert (len(job_class.requirement_paths), feeders(job_class)) == (paths, expected)


@pytest.mark.parametrize(("name", "general", "dwp"), [
    ("UTILITY SERVICES MANAGER 9106 110416.txt",  # "$145,742 to 181,071": no "$" on the high end
     ["99305-123379", "118869-147684", "135720-168606", "145742-181071", "153927-191239", "200176-248701"], []),
    ("ELECTRICAL ENGINEERING ASSOCIATE 7525 093016 REV 100416.txt",  # a DWP range goes on over the next line
     ["66231-94252", "74082-105444", "82497-117346", "89638-127556"],
     ["77360-96110", "91934-114213", "99722-123881", "107156-133130"]),
    ("EQUIPMENT REPAIR SUPERVISOR 3746 012717.txt",  # "$102, 750": a space after the thousands comma
     ["94523", "102750"], ["100495-106091", "106822-112772"]),
    ("POLICE OFFICER 2214 110906 Rev 060115.txt", ["57420-88427"], []),  # "$57,420* to $88,427": a footnote mark
], ids=["bare-high-end", "range-over-two-lines", "space-after-comma", "footnote-mark"])
def test_salary_pattern(la_corpus: Path, name: str, general: list[str], dwp: list[str]) -> None:
    parsed = project(parse_spec(read_source(la_corpus / name)))
    assert (parsed["salary_gen"], parsed["salary_dwp"]) == (general, dwp)


def test_cp1252_text_is_decoded(la_corpus: Path) -> None:
    document = read_source(la_corpus / "POLICE COMMANDER 2251 092917.txt")
    assert any("r\u00e9sum\u00e9" in line.text for line in document.lines)


def test_code_line_wins_over_file_name_and_the_difference_is_a_conflict(la_corpus: Path) -> None:
    disagreeing = []
    for path in sorted(la_corpus.iterdir()):
        try:
            job_class = parse_spec(read_source(path))
        except NotASpecification:
            continue
        if job_class.conflicts:
            disagreeing.append(job_class)
    assert len(disagreeing) == 6  # SOURCE.md: "In 6 files the class code in the name differs"
    for job_class in disagreeing:
        [conflict] = job_class.conflicts
        line_value, name_value = conflict.values
        assert conflict.field == "code" and job_class.code.value == line_value.value != name_value.value
        assert name_value.value in job_class.sources[0].name


def test_exempt_notice_is_refused_with_a_reason(la_corpus: Path) -> None:
    with pytest.raises(NotASpecification, match="exempt-position notice"):
        parse_spec(read_source(la_corpus / "Vocational Worker  DEPARTMENT OF PUBLIC WORKS.txt"))
