"""Validation: the shapes on the seeds and on one fixture per shape, the report writers, the command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from junitparser import JUnitXml
from rdflib import URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from rolegraph.cli import cli
from rolegraph.errors import ShapesError
from rolegraph.model import LEVEL_ORDER
from rolegraph.pipeline import build
from rolegraph.rdf.namespaces import RG
from rolegraph.resources import shape_files
from rolegraph.store import Store, open_store
from rolegraph.validate import (
    FORMAT_TO_WRITER,
    Report,
    load_shapes,
    validate_quads,
    validate_store,
    write_report,
)

DATA = Path(__file__).resolve().parent / "data"
SHAPE_FIXTURES = DATA / "shapes"
GOLDEN = Path(__file__).resolve().parent / "golden" / "reports"
SARIF_SCHEMA = DATA / "sarif" / "sarif-schema-2.1.0.json"
SHAPES = load_shapes()
SHAPE_IDS = sorted({info.shape_id for info in validate_quads([], SHAPES).shapes})
COMPLETENESS = ["Title", "Code", "Jurisdiction", "PayGrade", "Source", "Duties", "Summary",
                "MinimumQualifications", "KnowledgeSkillsAbilities"]
# An inferred state is not a jurisdiction: that fixture also fails the Jurisdiction shape, by design.
ALSO_FAILS = {"InferredJurisdiction": ["Jurisdiction"]}
SEED_001 = "001_2d86a1cef3b5cf81.txt"
SEED_002 = "002_a5126ba24733d61e.txt"
SEED_003 = "003_d072dea507a19859.txt"
SEED_004 = "004_7bca78953392f148.txt"


def _validate_file(path: Path) -> Report:
    return validate_quads(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE), SHAPES)


@pytest.fixture(scope="module")
def seeds_report(built_seeds: tuple[Store, object]) -> Report:
    store, _summary = built_seeds
    return validate_store(store)


@pytest.fixture(scope="module")
def report_001(specs_dir: Path) -> Report:
    store = open_store(None)
    build([specs_dir / SEED_001], store)
    return validate_store(store)


def _by_code(report: Report, code: str) -> list:
    iris = {checked.iri for checked in report.classes if checked.code == code}
    assert iris, f"no class with code {code}"
    return [finding for finding in report.findings if finding.focus_class in iris]


# -- the seeds ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["1341", "1343", "885.2"])
def test_seed_has_no_violations(seeds_report: Report, code: str) -> None:
    assert [f for f in _by_code(seeds_report, code) if f.severity == "violation"] == []


def test_11360_misses_its_jurisdiction_and_says_texas_was_inferred(seeds_report: Report) -> None:
    findings = _by_code(seeds_report, "11360")
    violations = [f for f in findings if f.severity == "violation"]
    assert [f.shape_id for f in violations] == ["Jurisdiction"]
    assert (violations[0].file, violations[0].line) == (SEED_004, 11)  # the title line: the fact is missing
    infos = [f for f in findings if f.severity == "info"]
    assert [f.shape_id for f in infos] == ["InferredJurisdiction"]
    assert "Texas" in infos[0].message and "Driver's License" in infos[0].message
    assert (infos[0].file, infos[0].line) == (SEED_004, 61)  # the line the evidence was read from


def test_001_alone_misses_code_jurisdiction_and_pay_grade_at_its_title(report_001: Report) -> None:
    violations = [f for f in report_001.findings if f.severity == "violation"]
    assert sorted(f.shape_id for f in violations) == ["Code", "Jurisdiction", "PayGrade"]
    assert {(f.file, f.line) for f in violations} == {(SEED_001, 7)}


def test_stub_classes_are_not_flagged_incomplete(seeds_report: Report) -> None:
    stubs = {checked.iri for checked in seeds_report.classes if checked.stub}
    assert stubs, "the seeds name a stub class (Customer Service Clerk)"
    assert [f for f in seeds_report.findings if f.focus_class in stubs] == []


@pytest.mark.parametrize("format_name, suffix", [("text", "txt"), ("json", "json"), ("junit", "xml"),
                                                  ("sarif", "sarif"), ("github", "github")])
def test_seeds_report_matches_golden(seeds_report: Report, format_name: str, suffix: str,
                                     update_golden: bool) -> None:
    text = write_report(seeds_report, format_name)
    golden = GOLDEN / f"seeds.{suffix}"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


# -- one passing and one failing fixture per shape ---------------------------------------------------

def test_every_shape_has_a_name_and_a_message_for_hr_analysts() -> None:
    for info in validate_quads([], SHAPES).shapes:
        assert info.name and info.message, info.shape_id
        assert "sh:" not in info.message and "rg:" not in info.message, info.shape_id


def test_every_shape_has_fixtures() -> None:
    failing = sorted(path.name.split(".")[0] for path in SHAPE_FIXTURES.glob("*.fail.ttl"))
    assert failing == SHAPE_IDS


@pytest.mark.parametrize("shape_id", SHAPE_IDS)
def test_shape_fails_its_failing_fixture(shape_id: str) -> None:
    findings = _validate_file(SHAPE_FIXTURES / f"{shape_id}.fail.ttl").findings
    assert {f.shape_id for f in findings} == {shape_id, *ALSO_FAILS.get(shape_id, [])}


@pytest.mark.parametrize("shape_id", SHAPE_IDS)
def test_shape_passes_its_passing_fixture(shape_id: str) -> None:
    own = SHAPE_FIXTURES / f"{shape_id}.pass.ttl"
    report = _validate_file(own if own.exists() else SHAPE_FIXTURES / "complete.ttl")
    assert report.findings == []


def test_a_stub_passes_every_completeness_shape() -> None:
    assert _validate_file(SHAPE_FIXTURES / "stub.ttl").findings == []


@pytest.mark.parametrize("shape_id", COMPLETENESS)
def test_completeness_findings_point_at_the_title_line(shape_id: str) -> None:
    (finding,) = _validate_file(SHAPE_FIXTURES / f"{shape_id}.fail.ttl").findings
    assert (finding.file, finding.line, finding.focus_class) == ("clerk.txt", 3, "https://example.org/id/clerk")


def test_a_fact_finding_points_at_the_fact_line() -> None:
    (finding,) = _validate_file(SHAPE_FIXTURES / "MonthsOfExperience.fail.ttl").findings
    assert (finding.line, finding.focus_class) == (12, "https://example.org/id/clerk")


def test_sparql_messages_name_what_they_found() -> None:
    clerk, other = _validate_file(SHAPE_FIXTURES / "UniqueCode.fail.ttl").findings  # each is told of the other
    assert "100" in clerk.message and "Records Clerk" in clerk.message
    assert other.message == "Job code 100 is also used by Clerk in the same jurisdiction."
    (step,) = _validate_file(SHAPE_FIXTURES / "PromotionStepGrade.fail.ttl").findings
    assert "GS 13" in step.message and "GS 8" in step.message


def test_level_shape_lists_the_model_levels_in_order() -> None:
    property_shape = SHAPES.value(URIRef("https://w3id.org/rolegraph/shapes#Level"), SH.property)
    listed = [str(item) for item in Collection(SHAPES, SHAPES.value(property_shape, SH["in"]))]
    assert tuple(listed) == LEVEL_ORDER


def test_severities_are_the_agreed_ones() -> None:
    severity = {info.shape_id: info.severity for info in validate_quads([], SHAPES).shapes}
    assert {key: severity[key] for key in ("Title", "Code", "Jurisdiction", "PayGrade")} == dict.fromkeys(
        ("Title", "Code", "Jurisdiction", "PayGrade"), "violation")
    assert {severity[key] for key in ("Duties", "Summary", "KnowledgeSkillsAbilities")} == {"warning"}
    assert severity["InferredJurisdiction"] == "info"


def test_ontology_terms_used_by_the_shapes_are_defined() -> None:
    from rolegraph.resources import ontology_files

    ontology = "\n".join(entry.read_text("utf-8") for entry in ontology_files())
    used = {str(term) for triple in SHAPES for term in triple if str(term).startswith(str(RG))}
    assert {term for term in used if f"rg:{term[len(str(RG)):]} " not in ontology} == set()


# -- writers -----------------------------------------------------------------------------------------

def test_junit_parses_with_junitparser(seeds_report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(write_report(seeds_report, "junit"), encoding="utf-8")
    suites = list(JUnitXml.fromfile(str(path)))
    assert len(suites) == len(seeds_report.classes)
    assert {suite.tests for suite in suites} == {len(SHAPE_IDS)}
    failed = {(suite.name, case.name) for suite in suites for case in suite if not case.is_passed}
    assert failed == {("Customer Relations Representative (11360)", "Jurisdiction")}


def test_junit_fail_on_warning_adds_warnings(seeds_report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(write_report(seeds_report, "junit", fail_on="warning"), encoding="utf-8")
    failed = {case.name for suite in JUnitXml.fromfile(str(path)) for case in suite if not case.is_passed}
    assert failed == {"Jurisdiction", "Knowledge, skills and abilities"}


def test_sarif_passes_the_official_schema(seeds_report: Report, report_001: Report) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for report in (seeds_report, report_001):
        document = json.loads(write_report(report, "sarif"))
        validator.validate(document)
        rules = document["runs"][0]["tool"]["driver"]["rules"]
        assert sorted(rule["id"] for rule in rules) == SHAPE_IDS
        assert {result["ruleId"] for result in document["runs"][0]["results"]} == {
            finding.shape_id for finding in report.findings}


def test_sarif_schema_rejects_a_broken_log() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validators.validator_for(schema)(schema).validate({"version": "2.1.0", "runs": [{}]})


def test_github_commands(report_001: Report) -> None:
    lines = write_report(report_001, "github").splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"::error file={SEED_001},line=7,title=") for line in lines)


def test_text_caps_findings_per_shape(seeds_report: Report) -> None:
    report = Report(seeds_report.findings * 3, seeds_report.classes, seeds_report.shapes)
    text = write_report(report, "text", max_per_shape=1)
    assert text.count("(Jurisdiction)") == 1
    assert "2 more findings of Jurisdiction not shown (--max-per-shape 1)" in text


def test_text_summary_counts_severities_and_shapes(seeds_report: Report) -> None:
    lines = write_report(seeds_report, "text").splitlines()
    assert lines[-2] == "1 violation, 1 warning, 1 info in 2 job classes of 5 checked"
    assert lines[-1].startswith("by shape: ")


def test_every_format_has_a_writer() -> None:
    assert set(FORMAT_TO_WRITER) == {"text", "turtle", "json", "junit", "github", "sarif"}


# -- the command -------------------------------------------------------------------------------------

@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_cli_junit_names_the_missing_jurisdiction_and_exits_1(runner: CliRunner, specs_dir: Path,
                                                               tmp_path: Path) -> None:
    output = tmp_path / "report.xml"
    result = runner.invoke(cli, ["validate", str(specs_dir), "--format", "junit", "-o", str(output)])
    assert result.exit_code == 1, result.output
    text = output.read_text(encoding="utf-8")
    assert "Customer Relations Representative (11360)" in text and "<failure" in text
    assert f'file="{specs_dir / SEED_004}"' in text  # the path as given, for CI annotations


def test_cli_clean_spec_with_fail_on_info_exits_0(runner: CliRunner, specs_dir: Path) -> None:
    result = runner.invoke(cli, ["validate", str(specs_dir / SEED_002), "--fail-on", "info"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fail_on, code", [("violation", 0), ("warning", 1), ("info", 1)])
def test_cli_fail_on_a_spec_with_one_warning(runner: CliRunner, specs_dir: Path, fail_on: str,
                                             code: int) -> None:
    result = runner.invoke(cli, ["validate", str(specs_dir / SEED_003), "--fail-on", fail_on])
    assert result.exit_code == code, result.output


def test_cli_validates_a_store(runner: CliRunner, specs_dir: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert runner.invoke(cli, ["build", str(specs_dir), "--store", str(store)]).exit_code == 0
    result = runner.invoke(cli, ["validate", "--store", str(store), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["counts"] == {"violation": 1, "warning": 1, "info": 1}


def test_cli_user_shapes_add_findings(runner: CliRunner, specs_dir: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "ordinance.ttl").write_text("""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix rg: <https://w3id.org/rolegraph/ns#> .
        <https://example.org/Ordinance> a sh:NodeShape ; sh:name "Ordinance" ; sh:targetClass rg:JobClass ;
            sh:message "No ordinance is cited." ;
            sh:property [ sh:path rg:ordinance ; sh:minCount 1 ; sh:severity sh:Warning ] .
        """, encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(specs_dir / SEED_002), "--shapes", str(shapes),
                                 "--fail-on", "warning"])
    assert result.exit_code == 1
    assert "warning: No ordinance is cited. (Ordinance)" in result.stdout


@pytest.mark.parametrize("args, says", [
    (["validate"], "PATHS"),
    (["validate", "missing-folder/spec.txt"], "missing-folder/spec.txt"),
    (["validate", "SPECS", "--shapes", "BAD"], "bad.ttl: not valid Turtle"),
    (["validate", "SPECS", "--shapes", "missing.ttl"], "missing.ttl: shapes file not found"),
    (["validate", "SPECS", "--shapes", "BADSPARQL"], "sparql.ttl: a SPARQL constraint does not parse"),
    (["validate", "--store", "no-store-here"], "no-store-here"),
    (["validate", "SPECS", "--format", "yaml"], "yaml"),
])
def test_cli_cannot_run_exits_2_with_one_line(runner: CliRunner, specs_dir: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, args: list[str],
                                              says: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.ttl").write_text("this is not turtle", encoding="utf-8")
    (tmp_path / "sparql.ttl").write_text("""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <https://example.org/S> a sh:NodeShape ; sh:name "S" ; sh:targetNode <https://example.org/x> ;
            sh:sparql [ sh:select "SELECT $this WHERE { this is not sparql" ] .
        """, encoding="utf-8")
    replace = {"SPECS": str(specs_dir / SEED_002), "BAD": "bad.ttl", "BADSPARQL": "sparql.ttl"}
    result = runner.invoke(cli, [replace.get(arg, arg) for arg in args])
    assert result.exit_code == 2, result.output
    assert says in result.stderr or says in result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) <= 4  # click usage errors have a usage line and a hint


def test_load_shapes_names_the_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(ShapesError, match="bad.ttl"):
        load_shapes([bad])


def test_shipped_sparql_parses() -> None:
    """load_shapes checks the SPARQL constraints of the files it is given, not the shipped ones on every load:
    they are checked here, given as files."""
    load_shapes([Path(str(source)) for source in shape_files()], shipped=False)


def test_cli_unreadable_spec_exits_2(runner: CliRunner, specs_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    shutil.copytree(specs_dir, folder)
    (folder / "empty.txt").write_bytes(b"")
    result = runner.invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "empty.txt" in result.stderr
