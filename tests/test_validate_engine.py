"""The SPARQL engine (rolegraph.shacl_sparql) against pySHACL: the same findings, shape by shape and focus
node by focus node, on the seeds, the shape fixtures, generated specifications with every kind of defect,
a shapes file exercising each compiled construct, and the LA corpus when it is present."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from rolegraph.cli import cli
from rolegraph.errors import ShapesError
from rolegraph.pipeline import build
from rolegraph.shacl_sparql import (
    ShaclPlan,
    ShaclResult,
    UnsupportedShapes,
    _bulk_queries,
    compile_shapes,
    flatten,
    run_plan,
)
from rolegraph.store import Store, open_store
from rolegraph.validate import Report, load_shapes, validate_quads, validate_store, write_report

DATA = Path(__file__).resolve().parent / "data"
SHAPE_FIXTURES = sorted((DATA / "shapes").glob("*.ttl"))
ENGINE_DATA = DATA / "engine"
BENCH = Path(__file__).resolve().parent.parent / "bench"
SHAPES = load_shapes()
FORMATS = ("text", "json", "junit", "github", "sarif")


def _keys(report: Report) -> Counter:
    return Counter((f.severity, f.shape_id, f.focus_node, f.path, f.value, f.message, f.file, f.line)
                   for f in report.findings)


def assert_same(ours: Report, reference: Report) -> None:
    """The SPARQL engine's report equals pySHACL's: findings, classes, every writer, the report graph."""
    assert ours.engine == "sparql"
    assert reference.engine == "pyshacl"
    ours_keys, reference_keys = _keys(ours), _keys(reference)
    only_ours, only_reference = sorted(ours_keys - reference_keys)[:5], sorted(reference_keys - ours_keys)[:5]
    assert ours_keys == reference_keys, f"only SPARQL: {only_ours}; only pySHACL: {only_reference}"
    assert ours.findings == reference.findings  # the same order too
    assert ours.classes == reference.classes
    for format_name in FORMATS:
        assert write_report(ours, format_name) == write_report(reference, format_name), format_name
    assert isomorphic(ours.graph, reference.graph)


def _both_on_store(store: Store, shapes: Graph = SHAPES) -> tuple[Report, Report]:
    return validate_store(store, shapes, engine="sparql"), validate_store(store, shapes, engine="pyshacl")


def test_seeds(built_seeds: tuple[Store, object]) -> None:
    store, _summary = built_seeds
    ours, reference = _both_on_store(store)
    assert reference.findings  # the seeds have findings to compare
    assert_same(ours, reference)


@pytest.mark.parametrize("path", SHAPE_FIXTURES, ids=lambda path: path.name)
def test_shape_fixtures(path: Path) -> None:
    quads = list(ox.parse(path.read_bytes(), format=ox.RdfFormat.TURTLE))
    assert_same(validate_quads(quads, SHAPES, engine="sparql"), validate_quads(quads, SHAPES, engine="pyshacl"))


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    sys.path.insert(0, str(BENCH))
    try:
        from generate import write_specs
    finally:
        sys.path.remove(str(BENCH))
    out = tmp_path_factory.mktemp("generated")
    manifest = write_specs(300, out, seed=7)
    store = open_store(None)
    build([out / spec["file"] for spec in manifest["files"]], store)
    return store


def test_generated_specs_with_every_defect(generated_store: Store) -> None:
    ours, reference = _both_on_store(generated_store)
    shapes_found = {finding.shape_id for finding in reference.findings}
    # the generator's defects: missing code, jurisdiction, grade, duties, KSAs (+ inferred jurisdictions)
    assert {"Code", "Jurisdiction", "PayGrade", "Duties", "KnowledgeSkillsAbilities"} <= shapes_found
    assert_same(ours, reference)


def test_engine_data_exercises_every_component() -> None:
    shapes = Graph().parse(ENGINE_DATA / "shapes.ttl")
    quads = list(ox.parse((ENGINE_DATA / "data.ttl").read_bytes(), format=ox.RdfFormat.TURTLE))
    ours = validate_quads(quads, shapes, engine="sparql")
    reference = validate_quads(quads, shapes, engine="pyshacl")
    assert_same(ours, reference)
    components = {str(node).split("#")[-1] for node in reference.graph.objects(None, SH.sourceConstraintComponent)}
    assert components >= {
        "MinCountConstraintComponent", "MaxCountConstraintComponent", "ClassConstraintComponent",
        "DatatypeConstraintComponent", "NodeKindConstraintComponent", "MinInclusiveConstraintComponent",
        "MinExclusiveConstraintComponent", "MaxInclusiveConstraintComponent", "MaxExclusiveConstraintComponent",
        "InConstraintComponent", "HasValueConstraintComponent", "OrConstraintComponent", "AndConstraintComponent",
        "NotConstraintComponent", "XoneConstraintComponent", "QualifiedMinCountConstraintComponent",
        "QualifiedMaxCountConstraintComponent", "SPARQLConstraintComponent", "NodeConstraintComponent"}
    assert set(reference.graph.subject_objects(SH.detail))  # sh:node results carry the node shape's results
    severities = {finding.severity for finding in reference.findings}
    assert severities == {"info", "warning", "violation"}


def test_the_engine_compiles_the_shipped_shapes() -> None:
    plan = compile_shapes(SHAPES)
    assert plan.checks
    assert all("SELECT" in check.query for check in plan.checks)


def _results_by_shape_and_focus(results: list[ShaclResult]) -> Counter:
    return Counter((str(result.shape), str(result.component), str(result.focus), str(result.value), result)
                   for result in flatten(results))


def _assert_bulk_equals_own_queries(plan: ShaclPlan, store: ox.Store) -> None:
    """The checks answered by the shared queries of their focus give exactly the results of their own queries,
    shape by shape and focus node by focus node."""
    bulk, own = run_plan(plan, store), run_plan(plan, store, bulk=False)
    assert bulk
    assert _results_by_shape_and_focus(bulk) == _results_by_shape_and_focus(own)
    assert sorted(map(repr, bulk)) == sorted(map(repr, own))


def test_bulk_queries_answer_as_each_checks_own_query_on_every_component() -> None:
    shapes = Graph().parse(ENGINE_DATA / "shapes.ttl")
    plan = compile_shapes(shapes)
    shared = {index for query in _bulk_queries(plan.checks) for index in query.checks}
    # every kind of shared query is exercised: absent flags (count checks, node shapes' values) and rows
    assert {plan.checks[index].kind for index in shared} == {"count", "value"}
    assert any(query.absent for query in _bulk_queries(plan.checks))
    assert any(not query.absent for query in _bulk_queries(plan.checks))
    store = ox.Store()
    store.bulk_extend(ox.parse((ENGINE_DATA / "data.ttl").read_bytes(), format=ox.RdfFormat.TURTLE))
    _assert_bulk_equals_own_queries(plan, store)


def test_bulk_queries_answer_as_each_checks_own_query_on_generated_specs(generated_store: Store) -> None:
    _assert_bulk_equals_own_queries(compile_shapes(SHAPES), generated_store.oxigraph)  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(2))
def test_bulk_queries_answer_as_each_checks_own_query_with_facts_removed(built_seeds: tuple[Store, object],
                                                                        seed: int) -> None:
    import io
    import random

    store, _summary = built_seeds
    buffer = io.BytesIO()
    store.export(buffer, "nq")
    quads = list(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS))
    random.Random(100 + seed).shuffle(quads)
    damaged = ox.Store()
    damaged.bulk_extend([quad for index, quad in enumerate(quads) if (index + seed) % 5])
    _assert_bulk_equals_own_queries(compile_shapes(SHAPES), damaged)


UNSUPPORTED = """
@prefix ex: <https://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:Pattern a sh:NodeShape ; sh:targetClass ex:Person ; sh:name "Pattern" ;
    sh:property [ sh:path ex:email ; sh:pattern "@" ; sh:minCount 1 ] .
"""


def test_unsupported_shapes_fall_back_to_pyshacl() -> None:
    shapes = Graph().parse(data=UNSUPPORTED, format="turtle")
    with pytest.raises(UnsupportedShapes, match="pattern"):
        compile_shapes(shapes)
    quads = list(ox.parse((ENGINE_DATA / "data.ttl").read_bytes(), format=ox.RdfFormat.TURTLE))
    auto = validate_quads(quads, shapes)
    reference = validate_quads(quads, shapes, engine="pyshacl")
    assert auto.engine == "pyshacl"
    assert reference.findings
    assert auto.findings == reference.findings
    assert write_report(auto, "turtle") and isomorphic(auto.graph, reference.graph)
    with pytest.raises(ShapesError, match="cannot run these shapes"):
        validate_quads(quads, shapes, engine="sparql")


def test_graphs_come_in_export_order(built_seeds: tuple[Store, object]) -> None:
    """The locator's owner of a node is its first graph in export order (as the pySHACL path reads the
    export); it reads that order with one SPARQL query."""
    store, _summary = built_seeds
    inner = store.oxigraph  # type: ignore[attr-defined]
    exported = dict.fromkeys(quad.graph_name for quad in inner.quads_for_pattern(None, None, None, None)
                             if not isinstance(quad.graph_name, ox.DefaultGraph))
    queried = [row["g"] for row in inner.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")]
    assert len(queried) > 2
    assert list(exported) == queried


def test_cli_engines_print_the_same_report(specs_dir: Path) -> None:
    runner = CliRunner()
    outputs = {}
    for engine in ("sparql", "pyshacl", "auto"):
        result = runner.invoke(cli, ["validate", str(specs_dir), "--engine", engine, "--format", "json"])
        assert result.exit_code in (0, 1), result.output
        outputs[engine] = result.stdout
    assert outputs["sparql"] == outputs["pyshacl"] == outputs["auto"]
    assert '"findings"' in outputs["sparql"]


@pytest.fixture(scope="module")
def la_store(la_corpus: Path) -> Store:
    store = open_store(None)
    build([la_corpus], store)
    return store


def test_la_corpus(la_store: Store) -> None:
    ours, reference = _both_on_store(la_store)
    assert reference.findings
    assert_same(ours, reference)


class _ExportOnly:
    """A store that can only export (as a SPARQL server's store is validated): the engine works on a copy."""

    location = "https://sparql.example.org/"

    def __init__(self, store: Store) -> None:
        self.store = store

    def export(self, output: object, format_name: str) -> None:
        self.store.export(output, format_name)  # type: ignore[arg-type]


def test_a_store_without_oxigraph_inside_is_validated_from_its_export(built_seeds: tuple[Store, object]) -> None:
    store, _summary = built_seeds
    remote = _ExportOnly(store)
    ours = validate_store(remote, SHAPES, engine="sparql")  # type: ignore[arg-type]
    assert_same(ours, validate_store(remote, SHAPES, engine="pyshacl"))  # type: ignore[arg-type]
    assert ours.findings == validate_store(store, SHAPES).findings


@pytest.mark.parametrize("seed", range(6))
def test_seeds_with_random_facts_removed(built_seeds: tuple[Store, object], seed: int) -> None:
    """Every seventh quad (from a random start, over a shuffled order) dropped: defects of every shape at once,
    in combinations no fixture has."""
    import io
    import random

    store, _summary = built_seeds
    buffer = io.BytesIO()
    store.export(buffer, "nq")
    quads = list(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS))
    random.Random(seed).shuffle(quads)
    kept = [quad for index, quad in enumerate(quads) if (index + seed) % 7]
    ours, reference = (validate_quads(kept, SHAPES, engine="sparql"),
                       validate_quads(kept, SHAPES, engine="pyshacl"))
    assert len(reference.findings) > 5  # defects enough to compare (counts vary with the seed)
    assert_same(ours, reference)


def test_cli_sparql_engine_refuses_shapes_it_cannot_run(specs_dir: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "pattern.ttl"
    shapes.write_text(UNSUPPORTED, encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(cli, ["validate", str(specs_dir), "--shapes", str(shapes), "--engine", "sparql"])
    assert refused.exit_code == 2
    assert "cannot run these shapes" in refused.stderr and "pattern" in refused.stderr
    auto = runner.invoke(cli, ["validate", str(specs_dir), "--shapes", str(shapes), "--format", "json"])
    reference = runner.invoke(cli, ["validate", str(specs_dir), "--shapes", str(shapes), "--format", "json",
                                    "--engine", "pyshacl"])
    assert auto.exit_code == reference.exit_code == 1
    assert auto.stdout == reference.stdout


@pytest.mark.parametrize("extra", [None, UNSUPPORTED], ids=["sparql", "fallback"])
def test_a_closed_store_can_be_opened_again_after_validation(specs_dir: Path, tmp_path: Path,
                                                             extra: str | None) -> None:
    """The report keeps nothing of the store: closing it releases the store's lock."""
    store = open_store(tmp_path / "store")
    build([specs_dir], store)
    shapes = None
    if extra is not None:
        (tmp_path / "extra.ttl").write_text(extra, encoding="utf-8")
        shapes = load_shapes([tmp_path / "extra.ttl"])
    report = validate_store(store, shapes)
    assert report.engine == ("sparql" if extra is None else "pyshacl")
    store.close()
    again = open_store(tmp_path / "store")
    assert len(again) > 0
    again.close()
    assert write_report(report, "turtle")
