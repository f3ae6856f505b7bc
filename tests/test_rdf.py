"""RDF: deterministic output (golden N-Quads), the public contract as SPARQL, and the ontology covers every term."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rolegraph.ladders.facts import FACT_PREDICATES, concept_labels_of_quads, facts_of_quads, index_triples
from rolegraph.pipeline import parse_paths
from rolegraph.rdf import Iris, emit_class_graphs
from rolegraph.rdf.namespaces import RG
from rolegraph.rdf.terms import number, number_text, quoted
from rolegraph.resources import ontology_files

GOLDEN = Path(__file__).resolve().parent / "golden"


def sorted_nquads(graphs: list) -> str:
    lines = {f"{quad} ." for graph in graphs for quad in (*graph.quads, *graph.shared)}
    return "\n".join(sorted(lines)) + "\n"


@pytest.fixture(scope="module")
def graphs(specs_dir: Path) -> list:
    return emit_class_graphs(parse_paths([specs_dir]).classes)


def test_golden_nquads(graphs: list, update_golden: bool) -> None:
    golden = GOLDEN / "seeds.nq"
    text = sorted_nquads(graphs)
    if update_golden:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), "run pytest --update-golden and review the diff"


def test_same_input_same_triples(specs_dir: Path, graphs: list) -> None:
    again = emit_class_graphs(parse_paths([specs_dir]).classes)
    assert sorted_nquads(again) == sorted_nquads(graphs)
    assert [graph.content_hash for graph in again] == [graph.content_hash for graph in graphs]


def test_configurable_base(specs_dir: Path) -> None:
    graphs = emit_class_graphs(parse_paths([specs_dir]).classes, Iris("http://example.org/hr/"))
    subjects = {quad.subject.value for graph in graphs for quad in graph.quads}
    assert all(subject.startswith("http://example.org/hr/") for subject in subjects)


def test_no_blank_nodes(graphs: list) -> None:
    for graph in graphs:
        for quad in (*graph.quads, *graph.shared):
            assert not isinstance(quad.subject, ox.BlankNode) and not isinstance(quad.object, ox.BlankNode)


def test_one_named_graph_per_class(graphs: list) -> None:
    assert len({graph.graph for graph in graphs}) == len(graphs) == 5
    for graph in graphs:
        assert {quad.graph_name for quad in graph.quads} == {graph.graph}


def test_every_rg_term_is_defined_in_the_ontology(graphs: list) -> None:
    ontology = rdflib.Graph()
    for entry in ontology_files():
        ontology.parse(data=entry.read_text("utf-8"), format="turtle")
    defined = {str(subject) for subject in ontology.subjects() if str(subject).startswith(str(RG))}
    used = set()
    for graph in graphs:
        for quad in (*graph.quads, *graph.shared):
            for term in (quad.predicate, quad.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(str(RG)):
                    used.add(term.value)
    assert used - defined == set()
    for term in defined - {str(RG)}:
        node = rdflib.URIRef(term)
        assert (node, rdflib.RDFS.label, None) in ontology and (node, rdflib.RDFS.comment, None) in ontology, term


CONTRACT_QUERIES = {
    # README "Vocabulary" examples; a change here is a change of the public contract.
    "classes": """
        SELECT ?code ?title ?grade WHERE {
          ?class a schema:Occupation, rg:JobClass ; schema:name ?title ; schema:identifier ?code ;
                 rg:payGrade ?g .
          ?g rg:grade ?n . OPTIONAL { ?g rg:payPlan ?plan }
          BIND(CONCAT(COALESCE(CONCAT(?plan, " "), ""), ?n) AS ?grade)
        } ORDER BY ?code""",
}


def test_contract_classes_codes_and_grades(built_seeds) -> None:
    store, _ = built_seeds
    rows = [(r["code"].value, r["title"].value, r["grade"].value) for r in store.query(CONTRACT_QUERIES["classes"])]
    assert rows == [
        ("11360", "Customer Relations Representative", "GS 46"),
        ("1341", "Customer Relations Clerk", "GS 13"),
        ("1343", "Customer Relations and Billing Supervisor", "GS 20"),
        ("885.2", "Senior Customer Service Clerk", "12"),
    ]


def test_contract_jurisdictions_and_inference(built_seeds) -> None:
    store, _ = built_seeds
    rows = {r["code"].value: (r["place"].value, r["state"].value, r["inferred"] is not None)
            for r in store.query("""
        SELECT ?code ?place ?state ?inferred WHERE {
          ?class a rg:JobClass ; schema:identifier ?code ; schema:occupationLocation ?loc .
          ?loc schema:name ?place .
          { ?loc a rg:Jurisdiction ; schema:containedInPlace/schema:name ?state }
          UNION { ?loc a schema:State ; schema:name ?state }
          OPTIONAL { ?class rg:jurisdictionInferred ?inferred }
        }""")}
    assert rows == {
        "1341": ("City of El Paso", "Texas", False),
        "1343": ("City of El Paso", "Texas", False),
        "885.2": ("City of Houston", "Texas", False),
        "11360": ("Texas", "Texas", True),
    }


def test_contract_sources_and_experience(built_seeds) -> None:
    store, _ = built_seeds
    [row] = list(store.query("""
        SELECT (COUNT(DISTINCT ?doc) AS ?sources) (SAMPLE(?months) AS ?m) WHERE {
          ?class schema:identifier "1341" ; prov:wasDerivedFrom ?doc .
          ?doc a rg:SourceDocument ; schema:name ?name ; rg:sha256 ?sha .
          ?class schema:experienceRequirements/schema:monthsOfExperience ?months }"""))
    assert row["sources"].value == "2"
    assert row["m"].value == "24"
    parts = sorted(int(r["months"].value) for r in store.query("""
        SELECT ?months WHERE { ?c schema:identifier "1343" ; schema:experienceRequirements ?e .
          ?e a schema:OccupationalExperienceRequirements ; rg:includes/schema:monthsOfExperience ?months }"""))
    assert parts == [12, 24]


def test_contract_duties_tasks_and_skills(built_seeds) -> None:
    store, _ = built_seeds
    [row] = list(store.query("""
        SELECT (COUNT(DISTINCT ?duty) AS ?duties) (COUNT(DISTINCT ?task) AS ?tasks) WHERE {
          ?c schema:identifier "1343" ; rg:duty ?duty . ?duty a rg:Duty ; schema:description ?d ; rg:task ?task .
          ?task a rg:Task ; schema:description ?t }"""))
    assert (row["duties"].value, row["tasks"].value) == ("4", "25")
    levels = {(r["label"].value, r["level"].value) for r in store.query("""
        SELECT ?label ?level WHERE { ?c schema:identifier "1341" ; rg:ksa ?k . ?k a rg:Knowledge ; rg:level ?level ;
                                     rg:concept ?concept . ?concept a skos:Concept ; skos:prefLabel ?label ;
                                     skos:inScheme ?scheme . ?scheme a skos:ConceptScheme }""")}
    assert ("general office procedures", "good") in levels
    assert ("in person and telephone business etiquette", "some") in levels


def test_fact_provenance_points_at_lines(built_seeds) -> None:
    store, _ = built_seeds
    [row] = list(store.query("""
        SELECT ?file ?start WHERE { ?c schema:identifier "11360" ; rg:factSource ?f .
          ?f rg:property schema:name ; prov:wasDerivedFrom/schema:name ?file ; rg:lineStart ?start }"""))
    assert (row["file"].value, row["start"].value) == ("004_7bca78953392f148.txt", "11")


def test_union_has_no_duplicate_rows(built_seeds) -> None:
    store, _ = built_seeds
    names = [r["n"].value for r in store.query("SELECT ?n WHERE { ?s a schema:State ; schema:name ?n }")]
    assert names == ["Texas"]


# -- text emission: every quad is written as N-Quads text by rolegraph.rdf.terms, not by pyoxigraph -----------


@given(st.text(max_size=40))
@settings(max_examples=400)
def test_quoted_writes_literals_as_oxigraph_does(value: str) -> None:
    assume(not any(0xD800 <= ord(char) < 0xE000 for char in value))  # lone surrogates are no Python str for Rust
    assert quoted(value) == str(ox.Literal(value))


def test_quoted_escapes_every_character_oxigraph_escapes() -> None:
    for code in (*range(0x80), 0xA0, 0x2028, 0xFEFF, 0x1F600):
        value = f"a{chr(code)}b"
        assert quoted(value) == str(ox.Literal(value)), hex(code)


def test_number_text_is_the_literal_text() -> None:
    for value in (0, 7, 2080, Decimal("24"), Decimal("1.50"), Decimal("0.5")):
        assert number_text(value) == (number(value).value, str(number(value)))


def test_lines_parse_to_the_quads_and_triples_name_them(graphs: list) -> None:
    for graph in graphs:
        quads = (*graph.quads, *graph.shared)
        assert [str(quad) for quad in quads] == [*graph.lines, *graph.shared_lines]
        assert list(graph.triples) == [(quad.subject.value, quad.predicate.value, quad.object.value) for quad in quads]
        assert graph.triple_lines() == [f"{quad.subject} {quad.predicate} {quad.object}" for quad in graph.quads]
        assert graph.size == len(quads)


def test_marker_lines_parse(graphs: list) -> None:
    graph = graphs[0]
    hash_quad, describes = ox.parse((" .\n".join(graph.marker_lines()) + " .\n").encode(), format=ox.RdfFormat.N_QUADS)
    assert (hash_quad.object.value, hash_quad.graph_name) == (graph.content_hash, graph.graph)
    assert (describes.predicate, describes.object) == (RG.describes, graph.class_iri)


def test_fact_predicates_give_the_same_facts(graphs: list, la_corpus: Path) -> None:
    """The pipeline indexes only FACT_PREDICATES for the ladder: the facts must be those of the whole graph."""
    la_graphs = emit_class_graphs(parse_paths(sorted(la_corpus.iterdir())[:120]).classes)
    for graph in (*graphs, *la_graphs):
        whole, only = index_triples(graph.triples), index_triples(graph.triples, FACT_PREDICATES)
        assert facts_of_quads(only) == facts_of_quads(whole)
        assert concept_labels_of_quads(only) == concept_labels_of_quads(whole)


def test_lines_keep_literals_with_unicode_line_separators(specs_dir: Path) -> None:
    """N-Quads escapes only control characters: a literal with U+2028 or U+0085 stays on its line."""
    from dataclasses import replace as with_changes

    job_class = parse_paths([specs_dir]).classes[0]
    odd = with_changes(job_class, summary=with_changes(job_class.summary, value="one\u2028two\u0085three"))
    [graph] = emit_class_graphs([odd])
    assert len(graph.lines) == graph.size - len(graph.shared_lines) == len(graph.quads)
    assert any("one\u2028two\u0085three" in line for line in graph.lines)
