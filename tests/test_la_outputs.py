"""What LA bulletins become: the City's export template, the requirement-path SPARQL contract, coverage, CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rolegraph.cli import cli
from rolegraph.coverage import coverage_of_classes, coverage_of_store
from rolegraph.kaggle import KAGGLE_FIELDS, kaggle_rows, write_kaggle_csv
from rolegraph.pipeline import BuildSummary, build
from rolegraph.store import Store, open_store

BULLETINS = ("SYSTEMS ANALYST 1596 102717.txt", "PRINCIPAL CLERK 1201 021618.txt",
             "HEAVY DUTY TRUCK OPERATOR 3584 122316.txt", "CUSTODIAN SUPERVISOR 3176 042817 051117 REV.txt")
# The template writes some values otherwise than its own data dictionary; the dictionary wins (issue 7).
DICTIONARY_OVER_TEMPLATE = {"FULL_TIME_PART_TIME", "ENTRY_SALARY_GEN", "ENTRY_SALARY_DWP", "COURSE_LENGTH",
                            "DRIVERS_LICENSE_REQ", "FILE_NAME"}
# Compared on their opening words only: free text the template abridges.
FREE_TEXT = {"JOB_DUTIES", "EXP_JOB_CLASS_FUNCTION", "MISC_COURSE_DETAILS", "COURSE_SUBJECT"}


@pytest.fixture(scope="module")
def built(la_corpus: Path) -> tuple[Store, BuildSummary]:
    store = open_store(None)
    return store, build([la_corpus / name for name in BULLETINS], store)


@pytest.fixture(scope="module")
def template(la_corpus: Path) -> list[dict[str, str]]:
    path = la_corpus.parent / "Additional data" / "sample job class export template.csv"
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def test_header_is_the_templates(template: list[dict[str, str]]) -> None:
    assert tuple(template[0]) == KAGGLE_FIELDS


def test_systems_analyst_rows_match_the_citys_example(built: tuple[Store, BuildSummary],
                                                      template: list[dict[str, str]]) -> None:
    rows = [row for row in kaggle_rows(built[0]) if row["JOB_CLASS_NO"] == "1596"]
    assert [(row["REQUIREMENT_SET_ID"], row["REQUIREMENT_SUBSET_ID"]) for row in rows] == [
        (row["REQUIREMENT_SET_ID"], row["REQUIREMENT_SUBSET_ID"]) for row in template]
    for mine, theirs in zip(rows, template, strict=True):
        for name in KAGGLE_FIELDS:
            if name in DICTIONARY_OVER_TEMPLATE:
                continue
            if name in FREE_TEXT:
                assert mine[name][:20].casefold() == theirs[name][:20].casefold(), name
            else:
                assert mine[name] == theirs[name], (name, mine["REQUIREMENT_SET_ID"], mine["REQUIREMENT_SUBSET_ID"])
    first = rows[0]
    assert first["ENTRY_SALARY_GEN"] == "$68611-$100307" and first["ENTRY_SALARY_DWP"] == "$70908-$88092"
    assert rows[1]["FULL_TIME_PART_TIME"] == "FULL_TIME" and rows[-1]["COURSE_LENGTH"] == "4Q|3S"


def test_licence_codes_and_flat_rates(built: tuple[Store, BuildSummary]) -> None:
    rows = {row["JOB_CLASS_NO"]: row for row in kaggle_rows(built[0])}
    assert rows["3584"]["DRIVERS_LICENSE_REQ"] == "R" and rows["3584"]["DRIV_LIC_TYPE"] == "A"
    assert rows["1201"]["DRIVERS_LICENSE_REQ"] == "P"
    assert rows["3584"]["ENTRY_SALARY_DWP"] == "$67985-$71785"


def test_csv_round_trips(built: tuple[Store, BuildSummary]) -> None:
    stream = io.StringIO()
    rows = kaggle_rows(built[0])
    write_kaggle_csv(rows, stream)
    assert list(csv.DictReader(io.StringIO(stream.getvalue()))) == rows


SENIOR_CLERK_24 = """SELECT DISTINCT ?title WHERE {
  ?class rg:requirementPath/rg:item/rg:subRequirement*/rg:experience ?e ; schema:name ?title .
  ?e rg:inClassTitle "Senior Clerk" ; schema:monthsOfExperience ?months . FILTER(?months <= 24) }"""


def test_which_classes_accept_two_years_as_a_senior_clerk(built: tuple[Store, BuildSummary]) -> None:
    titles = {row["title"].value for row in built[0].query(SENIOR_CLERK_24)}
    assert titles == {"Principal Clerk"}


def test_feeder_resolves_to_a_stub_class_with_evidence(built: tuple[Store, BuildSummary]) -> None:
    [row] = list(built[0].query("""SELECT ?stub ?method WHERE { ?c schema:name "Principal Clerk" ;
        schema:experienceRequirements ?e . ?e rg:inClass ?target ; rg:classReference ?r .
        ?r rg:matchMethod ?method . ?target schema:name "Senior Clerk" ; rg:stub ?stub }"""))
    assert row["stub"].value == "true" and row["method"].value == "stub"


def test_salaries_are_monetary_amount_distributions(built: tuple[Store, BuildSummary]) -> None:
    rows = list(built[0].query("""SELECT ?min ?max ?dwp WHERE { ?c schema:identifier "1596" ;
        schema:estimatedSalary ?s . ?s a schema:MonetaryAmountDistribution ; schema:currency "USD" ;
        schema:duration "P1Y"^^xsd:duration ; schema:minValue ?min ; schema:maxValue ?max .
        OPTIONAL { ?s rg:dwp ?dwp } } ORDER BY ?min"""))
    assert [(int(row["min"].value), int(row["max"].value), row["dwp"] is not None) for row in rows] == [
        (68611, 100307, False), (70908, 88092, True), (83770, 104065, True)]


def test_coverage_reads_the_same_from_model_and_store(built: tuple[Store, BuildSummary]) -> None:
    store, summary = built
    from_model, from_store = coverage_of_classes(summary.parsed.classes), coverage_of_store(store)
    assert from_model == from_store
    assert from_model.total == len(BULLETINS) and from_model.counts["salary"] == len(BULLETINS)
    assert all(item.source in BULLETINS and item.line_start > 0 for item in from_model.unparsed)


def test_cli_build_export_and_coverage(la_corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "store"
    result = runner.invoke(cli, ["build", *(str(la_corpus / name) for name in BULLETINS), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "coverage of 4 job classes" in result.output
    out = tmp_path / "la.csv"
    result = runner.invoke(cli, ["export", "--format", "kaggle-csv", "-o", str(out), "--store", str(store)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as stream:
        assert tuple(csv.DictReader(stream).fieldnames or ()) == KAGGLE_FIELDS
    result = runner.invoke(cli, ["coverage", "--store", str(store)])
    assert result.exit_code == 0 and "requirements" in result.output
    result = runner.invoke(cli, ["coverage"])
    assert result.exit_code == 2 and "PATHS" in result.output


def test_exempt_notice_is_reported_not_built(la_corpus: Path) -> None:
    store = open_store(None)
    summary = build([la_corpus / "Vocational Worker  DEPARTMENT OF PUBLIC WORKS.txt"], store)
    assert summary.classes == 0 and summary.parsed.failures == []
    [skipped] = summary.parsed.skipped
    assert "exempt-position notice" in skipped.reason


REQUIRED = ("FILE_NAME", "JOB_CLASS_TITLE", "JOB_CLASS_NO", "REQUIREMENT_SET_ID", "REQUIREMENT_SUBSET_ID",
            "EXAM_TYPE")


@pytest.fixture(scope="module")
def corpus_rows(la_corpus: Path) -> list[dict[str, str]]:
    """The whole corpus built without the ladder stage (kaggle rows need only the class graphs)."""
    from rolegraph.pipeline import parse_paths
    from rolegraph.rdf import emit_class_graphs

    store = open_store(None)
    store.replace_class_graphs(emit_class_graphs(parse_paths([la_corpus]).classes))
    return kaggle_rows(store)


def test_every_bulletin_file_has_rows_with_the_required_fields(la_corpus: Path,
                                                                corpus_rows: list[dict[str, str]]) -> None:
    bulletins = {path.name for path in la_corpus.iterdir()} - {"Vocational Worker  DEPARTMENT OF PUBLIC WORKS.txt"}
    assert {row["FILE_NAME"] for row in corpus_rows} == bulletins
    assert not [(row["FILE_NAME"], name) for row in corpus_rows for name in REQUIRED if not row[name]]
    # A salary is missing only where the bulletin states one for the Department of Water and Power alone, or none.
    no_salary = {row["FILE_NAME"] for row in corpus_rows if not row["ENTRY_SALARY_GEN"] and not row["ENTRY_SALARY_DWP"]}
    assert no_salary == {"AIRPORT POLICE SPECIALIST 3236 063017 (2).txt"}  # "Salary scale pending."


# Two editions of one class (read by eye): each file's rows show that file's open date and salary.
EDITIONS = {"CHIEF CLERK POLICE 1219 061215.txt": ("1249", "06/12/15", "$67400-$98553"),
            "CHIEF CLERK POLICE 1249 083118.txt": ("1249", "08/31/18", "$73163-$106968")}


def test_each_edition_of_a_class_keeps_its_own_date_and_salary(corpus_rows: list[dict[str, str]]) -> None:
    found = {(row["FILE_NAME"], row["JOB_CLASS_NO"], row["OPEN_DATE"], row["ENTRY_SALARY_GEN"])
             for row in corpus_rows if row["FILE_NAME"] in EDITIONS}
    assert found == {(name, *values) for name, values in EDITIONS.items()}


def test_coverage_report_of_the_gold_sample(la_corpus: Path, update_golden: bool) -> None:
    from rolegraph.coverage import format_coverage
    from rolegraph.pipeline import parse_paths

    sample = [la_corpus / entry["file"] for entry in __import__("test_la").GOLD["bulletins"]]
    report = format_coverage(coverage_of_classes(parse_paths(sample).classes)) + "\n"
    golden = Path(__file__).resolve().parent / "golden" / "la_sample_coverage.txt"
    if update_golden:
        golden.write_text(report, encoding="utf-8")
    assert report == golden.read_text(encoding="utf-8"), "run pytest --update-golden and review the diff"


def test_ladder_from_senior_clerk_reaches_principal_clerk_in_24_months(la_corpus: Path, tmp_path: Path) -> None:
    """Issue 7: `rolegraph ladder "Senior Clerk"` lists Principal Clerk with 24 months (a stub class feeds it)."""
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert runner.invoke(cli, ["build", str(la_corpus / "PRINCIPAL CLERK 1201 021618.txt"), "--store", store]
                         ).exit_code == 0
    result = runner.invoke(cli, ["ladder", "Senior Clerk", "--store", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    paths = json.loads(result.output)["paths"]
    assert any(path["classes"][-1]["title"] == "Principal Clerk" and path["months_to_gain"] == 24
               and len(path["steps"]) == 1 for path in paths)
