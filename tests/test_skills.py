"""Skills vocabulary: normalization rules (TOML, each with its example), merging of near-duplicates on the
seeds, broader concepts (made-up labels and the LA + CalHR vocabulary), and the merge records in the store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rolegraph.model import JobClass, Ksa, Provenance, Text
from rolegraph.pipeline import parse_paths
from rolegraph.rdf.iris import Iris
from rolegraph.rdf.namespaces import RG, SKOS
from rolegraph.resources import ontology_files
from rolegraph.skills import (
    broader_concepts,
    broader_rules,
    build_vocabulary,
    clean_statement,
    profile_rules,
    skill_rules,
    statement_key,
    statement_verbs,
    vocabulary_of_classes,
    vocabulary_quads,
)

RULES = skill_rules()
BROADER = broader_rules()
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


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


# -- broader concepts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "broader", "verbs"), BROADER.examples, ids=lambda value: str(value))
def test_broader_example(text: str, broader: str, verbs: tuple[str, ...]) -> None:
    """Each [broader] example: among the labels of its word tails (each held by two classes), the statement's label
    gets the broader concept the table states ("" for none)."""
    label = clean_statement(text)
    words = label.split()
    uses = {" ".join(words[start:]): 2 for start in range(1, len(words))}
    uses[label] = 1
    listed = {label} if re.search(f"[{re.escape(BROADER.list_marks)}]", text) else set()
    found = broader_concepts(uses, verbs=verbs, listed=listed)
    assert found.get(label, "") == broader


def test_broader_examples_show_both_outcomes() -> None:
    assert {bool(broader) for _, broader, _ in BROADER.examples} == {True, False}


@pytest.mark.parametrize(("uses", "expected"), [
    ({"hydrogeology mathematics": 1, "mathematics": 2}, {"hydrogeology mathematics": "mathematics"}),
    ({"applied river hydraulics": 1, "river hydraulics": 2, "hydraulics": 3},
     {"applied river hydraulics": "river hydraulics", "river hydraulics": "hydraulics"}),  # the nearest only
    ({"marine geologies": 1, "geology": 2}, {"marine geologies": "geology"}),  # plurals aside
    ({"in-service training": 1, "training": 2}, {"in-service training": "training"}),
    ({"hydrogeology mathematics": 1, "mathematics": 1}, {}),  # held by one class only
    ({"mathematics hydrogeology": 1, "mathematics": 2}, {}),  # a tail, not a head
    ({"geology and mathematics": 1, "mathematics": 2}, {}),
    ({"mathematics for geology": 1, "geology": 2}, {}),
    ({"applied h2o mathematics": 1, "mathematics": 2}, {}),  # a digit
    ({"soil/rock mechanics": 1, "mechanics": 2}, {}),
    ({"the mathematics": 1, "mathematics": 2}, {}),
    ({"fundamentals of mathematics": 1, "mathematics": 2}, {}),
    ({"field methods": 1, "methods": 9}, {}),  # a generic head alone
    ({"clear field methods": 1, "field methods": 2}, {"clear field methods": "field methods"}),
    ({"their use": 1, "use": 9, "of their use": 1}, {}),
    ({"all of the above": 5, "perform all of the above": 1}, {}),  # a head starting with "all"
    ({"carefully prepare reports": 1, "prepare reports": 5}, {}),  # a verb phrase is no head
    ({"prepare reports": 1, "reports": 5}, {}),  # a verb is no modifier
    ({"": 3, "x": 1}, {}),
])
def test_broader_concepts(uses: dict[str, int], expected: dict[str, str]) -> None:
    assert broader_concepts(uses) == expected


def test_broader_concepts_learned_verbs_and_lists() -> None:
    uses = {"administer anesthesia": 1, "anesthesia": 2, "dental anesthesia": 1}
    assert broader_concepts(uses) == {"administer anesthesia": "anesthesia", "dental anesthesia": "anesthesia"}
    assert broader_concepts(uses, verbs={"administer"}) == {"dental anesthesia": "anesthesia"}
    assert broader_concepts(uses, verbs={"administer"}, listed={"dental anesthesia"}) == {}


def test_malformed_broader_table_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from rolegraph import skills
    from rolegraph.errors import RuleError

    shipped = skills.rule_table("skills")
    broken = dict(shipped, broader={key: value for key, value in shipped["broader"].items() if key != "min_classes"})
    monkeypatch.setattr(skills, "rule_table", lambda name: broken)
    skills.broader_rules.cache_clear()
    try:
        with pytest.raises(RuleError, match=r"skills.toml: missing or malformed \[broader\] entry: 'min_classes'"):
            skills.broader_rules()
    finally:
        skills.broader_rules.cache_clear()


def test_statement_verbs() -> None:
    verbs = statement_verbs([("ability", "Administer anesthesia"), ("ability", "administer oxygen"),
                             ("knowledge", "Dental anesthesia"), ("ability", "Design reports"),
                             ("knowledge", "design standards"), ("knowledge", "design of structures"),
                             ("skill", "in operating a lathe")])
    assert verbs == {"administer"}


def _class(title: str, *statements: tuple[str, str]) -> JobClass:
    where = Provenance("made-up.txt", "0", 1, 1)
    return JobClass(Text(title, where), (), ksas=tuple(Ksa(kind, text, None, where) for kind, text in statements))


def test_vocabulary_of_classes_counts_classes_and_learns_verbs() -> None:
    """A head is held by two classes (two statements of one class are one); a word that starts ability statements
    is a verb, so "administer anesthesia" is no kind of anesthesia."""
    classes = [_class("Nurse Anesthetist", ("ability", "Administer anesthesia"), ("knowledge", "Anesthesia."),
                      ("knowledge", "geology"), ("knowledge", "Geology.")),
               _class("Dental Assistant", ("knowledge", "Dental anesthesia"), ("knowledge", "anesthesia")),
               _class("Geologist", ("knowledge", "Marine geology")),
               _class("Clerk", ("ability", "administer first aid"))]
    vocabulary = vocabulary_of_classes(classes)
    assert vocabulary.broader == {"dental anesthesia": "anesthesia"}
    assert build_vocabulary(ksa.text for job_class in classes for ksa in job_class.ksas).broader == {
        "administer anesthesia": "anesthesia", "dental anesthesia": "anesthesia", "marine geology": "geology"}


def test_broader_quads() -> None:
    """skos:broader in the skills graph, from the narrower concept to the broader one, in concept order."""
    vocabulary = build_vocabulary(["soil mechanics", "mechanics", "mechanics", "rock mechanics", "geology"])
    iris = Iris()
    quads = vocabulary_quads(vocabulary, iris)
    broader = [(quad.subject, quad.object) for quad in quads if quad.predicate == SKOS.broader]
    assert broader == [(iris.skill("rock mechanics"), iris.skill("mechanics")),  # concepts in their made order
                       (iris.skill("soil mechanics"), iris.skill("mechanics"))]
    assert {quad.graph_name for quad in quads} == {iris.node("graph/skills")}
    assert quads == vocabulary_quads(build_vocabulary(["soil mechanics", "mechanics", "mechanics", "rock mechanics",
                                                       "geology"]), iris)


@pytest.fixture(scope="module")
def corpus_vocabulary():
    """The vocabulary of the LA bulletins and the CalHR specifications together, as a build makes it."""
    folders = [SHARED / "la-bulletins" / "Job Bulletins", SHARED / "calhr-specs" / "specs"]
    if not all(folder.is_dir() for folder in folders):
        pytest.skip(f"corpora not found at {SHARED} (../shared is absent on this machine)")
    return vocabulary_of_classes(parse_paths(folders).classes)


def test_corpus_broader_pairs_follow_the_rule(corpus_vocabulary) -> None:
    """Every broader pair of LA + CalHR: both are concepts, the broader label's words end the narrower one's (plurals
    aside) after modifiers only (no table word, no rule verb, no digit), it is no generic head alone; no cycle."""
    broader = corpus_vocabulary.broader
    assert len(broader) >= 10
    verbs = profile_rules().verb_forms
    for narrower, head in broader.items():
        assert {narrower, head} <= corpus_vocabulary.concepts.keys()
        words, head_words = narrower.split(), head.split()
        added = words[:len(words) - len(head_words)]
        assert added, (narrower, head)
        assert statement_key(" ".join(words[len(added):])) == statement_key(head), (narrower, head)
        assert not any(word in BROADER.not_modifiers or word in verbs or not word.isalpha() and "-" not in word
                       for word in added), (narrower, head)
        assert not (len(head_words) == 1 and statement_key(head) in BROADER.generic_heads), (narrower, head)
    for narrower in broader:  # no cycle: following broader links ends
        seen = {narrower}
        while narrower in broader:
            narrower = broader[narrower]
            assert narrower not in seen
            seen.add(narrower)
