"""Skills vocabulary: normalization rules (TOML, each with its example), merging of near-duplicates on the
seeds, and the merge records in the store."""

from __future__ import annotations

import pytest

from rolegraph.pipeline import parse_paths
from rolegraph.rdf.namespaces import RG
from rolegraph.resources import ontology_files
from rolegraph.skills import (
    build_vocabulary,
    clean_statement,
    skill_rules,
    statement_key,
    vocabulary_of_classes,
)

RULES = skill_rules()


@pytest.mark.parametrize(("suffix", "example"), list(zip((s for s, _ in RULES.plurals), RULES.plural_examples,
                                                         strict=True)), ids=lambda value: str(value))
def test_plural_rule_applies_to_its_example(suffix: str, example: str) -> None:
    assert example.endswith(suffix), "the example must end with the suffix it illustrates"
    # the first rule whose suffix the example has is this one (order is the meaning)
    first = next(s for s, _ in RULES.plurals if example.endswith(s))
    assert first == suffix, f"{example!r} is caught by the earlier rule {first!r}"


@pytest.mark.parametrize(("statement", "label"), [
    ("Knowledge of general office procedures.", "general office procedures"),
    ("ABILITY TO read and interpret account records;", "read and interpret account records"),
    ("Skill in: operating a personal computer", "operating a personal computer"),
    ("Application of considerable knowledge of customer service procedures", "considerable knowledge of "
     "customer service procedures"),
    ("knowledge of", ""),
])
def test_clean_statement(statement: str, label: str) -> None:
    assert clean_statement(statement) == label


@pytest.mark.parametrize(("first", "second"), [
    ("general office procedures", "Office Procedures"),
    ("customer service policies", "customer service policy"),
    ("the billing processes", "billing process"),
])
def test_equal_keys(first: str, second: str) -> None:
    assert statement_key(clean_statement(first)) == statement_key(clean_statement(second))


@pytest.mark.parametrize(("first", "second"), [
    ("office procedures", "office equipment"),
    ("supervisory techniques", "collection techniques"),
])
def test_different_keys(first: str, second: str) -> None:
    assert statement_key(clean_statement(first)) != statement_key(clean_statement(second))


def test_office_procedures_meet_in_one_concept() -> None:
    vocabulary = build_vocabulary(["general office procedures", "office procedures",
                                   "customer service, collection and general office procedures"])
    labels = {vocabulary.label_of_text(text) for text in ("general office procedures", "Office procedures.",
                                                          "customer service, collection and general office "
                                                          "procedures")}
    assert len(labels) == 1
    concept = vocabulary.concepts[labels.pop()]
    assert set(concept.alt_labels) >= {"customer service collection and general office procedures"}
    assert all(0.0 < similarity <= 1.0 for similarity in concept.alt_labels.values())


def test_unrelated_statements_stay_apart() -> None:
    vocabulary = build_vocabulary(["supervisory techniques", "collection techniques", "spelling",
                                   "arithmetic"])
    assert len(vocabulary.concepts) == 4


def test_short_words_do_not_swallow_long_statements() -> None:
    vocabulary = build_vocabulary(["communicate effectively",
                                   "communicate effectively orally and in writing with the public and officials"])
    assert len(vocabulary.concepts) == 2


def test_seed_vocabulary_merges_across_specs(specs_dir) -> None:
    classes = parse_paths([specs_dir]).classes
    vocabulary = vocabulary_of_classes(classes)
    statements = sum(len(job_class.ksas) for job_class in classes)
    assert len(vocabulary.concepts) < statements
    by_label = {job_class.title.value: {vocabulary.label_of(ksa) for ksa in job_class.ksas} for job_class in classes}
    clerk, supervisor = by_label["Customer Relations Clerk"], by_label["Customer Relations and Billing Supervisor"]
    assert "general office procedures" in clerk & supervisor
    assert "business english and spelling" in clerk & supervisor


def test_merges_recorded_in_the_store(built_seeds) -> None:
    store, _ = built_seeds
    rows = list(store.query("""
        SELECT ?label ?merged ?similarity WHERE { ?c a skos:Concept ; skos:prefLabel ?label ;
            skos:inScheme ?scheme ; rg:labelMerge ?m . ?m rg:mergedLabel ?merged ; rg:similarity ?similarity }"""))
    merged = {(row["label"].value, row["merged"].value): float(row["similarity"].value) for row in rows}
    assert ("general office procedures", "customer service collection and general office procedures") in merged
    assert all(0.0 < value <= 1.0 for value in merged.values())


def test_every_ksa_has_a_concept_in_the_scheme(built_seeds) -> None:
    store, _ = built_seeds
    missing = list(store.query("""
        SELECT ?k WHERE { ?k a ?type . VALUES ?type { rg:Knowledge rg:Skill rg:Ability }
            FILTER NOT EXISTS { ?k rg:concept/skos:inScheme ?scheme } }"""))
    assert missing == []


def test_skills_terms_are_defined() -> None:
    text = "".join(entry.read_text("utf-8") for entry in ontology_files())
    for term in ("LabelMerge", "labelMerge", "mergedLabel", "similarity", "comparisonKey"):
        assert f"rg:{term} a " in text, RG.term(term)
