"""The ladder stage takes its facts from the parsed model (issue 20): ``facts_of_class`` of a JobClass equals, field
by field, ``facts_of_quads`` of the class graph emitted from it (and ``concept_labels_of_class`` its skill labels),
on the seeds, the layout fixtures, and 100 LA bulletins and 100 CalHR pages (skipped when ../shared is absent).
A build keeps the facts of the model, and its ladder is the one derived from the facts read back from its graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path

import pytest

from rolegraph import pipeline
from rolegraph.ladders import derive_ladder, load_class_facts, skill_labels
from rolegraph.ladders.facts import (
    FACT_PREDICATES,
    ClassFacts,
    concept_labels_of_class,
    concept_labels_of_quads,
    facts_of_class,
    facts_of_quads,
    index_triples,
)
from rolegraph.model import (
    Classification,
    ExperienceRequirement,
    JobClass,
    Jurisdiction,
    Ksa,
    PayGrade,
    Provenance,
    RequirementItem,
    RequirementPath,
    SourceDocumentRef,
    Text,
)
from rolegraph.rdf import ClassGraphEmitter, Iris
from rolegraph.readers import list_source_files
from rolegraph.skills import vocabulary_of_classes
from rolegraph.store import open_store

ROOT = Path(__file__).resolve().parent.parent
LAYOUTS = ROOT / "tests" / "layouts"
SHARED = ROOT.parent / "shared" / "corpus"
LA_BULLETINS = SHARED / "la-bulletins" / "Job Bulletins"
CALHR_SPECS = SHARED / "calhr-specs" / "specs"
SAMPLE = 100  # files of each real corpus, spread evenly over it


@dataclass
class Compared:
    """Classes compared, and (class, field, from the model, from the quads) of every field that differs."""

    classes: int = 0
    fields: int = 0
    differences: list[tuple[str, str, object, object]] = field(default_factory=list)


def compare(classes: list[JobClass]) -> Compared:
    """facts_of_class against facts_of_quads of each class's graph, emitted as a build emits it (the skills
    vocabulary of all the classes, one emitter knowing every title), with the triples describing its source
    documents (in the graph of a series' first class only: a store holds them all)."""
    iris = Iris()
    emitter = ClassGraphEmitter(classes, iris, vocabulary_of_classes(classes).label_of)
    graphs = [emitter(position) for position in range(len(classes))]
    documents = {iris.source(source.sha256).value for job_class in classes for source in job_class.sources}
    described: dict[str, list[tuple[str, str, str]]] = {}
    for graph in graphs:
        for triple in graph.triples:
            if triple[0] in documents:
                described.setdefault(triple[0], []).append(triple)
    found = Compared()
    for graph, job_class in zip(graphs, classes, strict=True):
        own = {iris.source(source.sha256).value for source in job_class.sources}
        index = index_triples([*graph.triples, *(triple for document in sorted(own)
                                                 for triple in described.get(document, ()))])
        [from_quads] = facts_of_quads(index)
        from_model = facts_of_class(job_class, iris, emitter.concept_label, emitter.titles)
        found.classes += 1
        for item in fields(ClassFacts):
            found.fields += 1
            model_value, quads_value = getattr(from_model, item.name), getattr(from_quads, item.name)
            if model_value != quads_value:
                found.differences.append((job_class.label, item.name, model_value, quads_value))
        if list(from_model.skills) != list(from_quads.skills):  # derivation sees the concepts in this order
            found.differences.append((job_class.label, "skills (order)", list(from_model.skills),
                                      list(from_quads.skills)))
        labels = concept_labels_of_class(job_class, iris, emitter.concept_label)
        if labels != concept_labels_of_quads(index):
            found.differences.append((job_class.label, "concept labels", labels, concept_labels_of_quads(index)))
    return found


def assert_equal(found: Compared, at_least: int) -> None:
    assert found.classes >= at_least
    assert not found.differences, f"{len(found.differences)} differences; " + "; ".join(
        f"{label}: {name}: model {_short(model)} != quads {_short(quads)}"
        for label, name, model, quads in found.differences[:5])


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def spread(files: list[Path], count: int) -> list[Path]:
    """``count`` files spread evenly over ``files`` (sorted), the same every run."""
    step = max(1, len(files) // count)
    return files[::step][:count]


def shared_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        pytest.skip(f"corpus not found at {directory} (../shared is absent on this machine)")
    return spread(list_source_files([directory]), SAMPLE)


def parsed(paths: list[Path]) -> list[JobClass]:
    return pipeline.parse_paths(paths, workers=1).classes


def test_seeds(specs_dir: Path) -> None:
    assert_equal(compare(parsed([specs_dir])), at_least=5)


def test_layout_fixtures() -> None:
    documents = sorted(path for path in LAYOUTS.glob("*/*") if path.name != "README.md"
                       and path.with_name(path.stem + ".expected.json").is_file())
    assert len(documents) >= 14
    assert_equal(compare(parsed(documents)), at_least=len(documents))


def test_la_bulletins() -> None:
    assert_equal(compare(parsed(shared_files(LA_BULLETINS))), at_least=SAMPLE)


def test_calhr_pages() -> None:
    classes = parsed(shared_files(CALHR_SPECS))
    assert any((job_class.classification.series_order or 0) > 1 for job_class in classes)  # series are among them
    assert_equal(compare(classes), at_least=SAMPLE)


# -- the cases real corpora hold rarely: made up -----------------------------------------------------------


def _where(line: int) -> Provenance:
    return Provenance("clerk.txt", "aa", line, line + 1)


def _made_up() -> list[JobClass]:
    """Classes whose graphs hold what the IRI and ordering rules decide: ten and more experience requirements and
    KSAs (node IRIs sort as text), two equal requirements (the first node alone gets the feeder links), requirement
    paths 10 and 2, an 'or' item with two sub-items of one label (one node in the graph), months that are not whole,
    a grade with a leading zero, two names of one document, a job family, a series class after the first."""
    place = Jurisdiction("City of Springfield", "Illinois", False, Text("City of Springfield", _where(1)))
    senior = JobClass(Text("Senior Clerk", _where(1)), (), jurisdiction=place)
    experience = tuple(ExperienceRequirement(Decimal(months), f"field {months}", "", _where(months))
                       for months in range(1, 12))
    twice = ExperienceRequirement(Decimal("6.50"), "office work", "six and a half months", _where(40),
                                  included=(ExperienceRequirement(Decimal(3), "filing", "", _where(41)),),
                                  in_classes=("Senior Clerk",))
    sub = RequirementItem("a", "office work", _where(40), experience=(twice,))
    paths = (RequirementPath(10, (RequirementItem("1", "11 months", _where(11), experience=(experience[10],)),),
                             _where(11)),
             RequirementPath(2, (RequirementItem("1", "either", _where(40), items=(sub, replace(sub, text="b")),
                                                 conjunction="or"),
                                 RequirementItem("2", "1 month", _where(1), experience=(experience[0],))),
                             _where(40)))
    ksas = (*(Ksa("knowledge", f"Knowledge of topic {index}", None, _where(50 + index)) for index in range(10)),
            Ksa("skill", "Skill in typing", "good", _where(60)),
            Ksa("skill", "skill in typing!", "thorough", _where(61)))
    sources = (SourceDocumentRef("clerk.txt", "aa", "clerk.txt", "text/plain"),
               SourceDocumentRef("a-clerk.txt", "aa", "a-clerk.txt", "text/plain"))
    clerk = JobClass(Text("Clerk", _where(1)), sources, code=Text("0101", _where(2)), jurisdiction=place,
                     pay_grade=PayGrade(None, "07", _where(3)),
                     job_family=(Text("Clerk", _where(4)), Text("Senior Clerk", _where(5))),
                     experience=(*experience, twice, twice), requirement_paths=paths, ksas=ksas)
    later = replace(clerk, title=Text("Clerk II", _where(1)), code=Text("0102", _where(2)),
                    classification=Classification(series=Text("Clerk Series", _where(6)), series_order=2))
    return [clerk, senior, later]


def test_made_up_classes() -> None:
    classes = _made_up()
    assert_equal(compare(classes), at_least=3)
    titles = ClassGraphEmitter(classes).titles
    clerk = facts_of_class(classes[0], titles=titles)
    node = {experience.node.rsplit("/", 1)[1]: experience for experience in clerk.experience}
    assert list(node)[:6] == ["1", "10", "11", "12", "13", "2"]
    senior = facts_of_class(classes[1]).iri
    assert node["12"].in_classes == (senior,) and node["13"].in_classes == ()
    assert node["12"].months == Decimal("6.5") and node["12"].parts[0].months == 3
    assert node["12"].alternative == node["12"].node  # under an 'or' item: an alternative of its own
    assert node["11"].alternative.endswith("/path/10") and node["1"].alternative.endswith("/path/2")
    assert clerk.grade_number == 7 and clerk.grade_where == "a-clerk.txt:3-4"  # the smaller name of the document
    assert [member.member for member in clerk.family] == [clerk.iri, senior]
    assert clerk.skills[Iris().skill("typing").value] == 5  # the higher level of two statements of one concept
    assert node["1"].where == "a-clerk.txt:1-2"
    # a later series class's graph does not describe its document, a store does: its facts name it
    assert facts_of_class(classes[2]).experience[0].where == "a-clerk.txt:1-2"


def test_a_build_takes_the_facts_of_the_model(tmp_path: Path, specs_dir: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    """The ladder stage of a build takes facts_of_class of each class (not the quads read back), and its ladder is
    the one derived from the facts of the store."""
    calls: list[str] = []
    real = pipeline.facts_of_class

    def counted(job_class: JobClass, *args: object) -> ClassFacts:
        calls.append(job_class.label)
        return real(job_class, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "facts_of_class", counted)
    monkeypatch.setattr(pipeline, "facts_of_quads", None, raising=False)
    store = open_store(tmp_path / "store")
    try:
        summary = pipeline.build([specs_dir], store)
        assert sorted(calls) == sorted(job_class.label for job_class in summary.parsed.classes)
        assert summary.ladder is not None and summary.ladder.steps
        assert summary.ladder == derive_ladder(load_class_facts(store), skill_labels=skill_labels(store))
    finally:
        store.close()


def test_series_classes_name_their_sources_as_the_store_does() -> None:
    """A later class of a series has source lines in the facts a build takes (its graph alone describes no
    document): the same facts as load_class_facts of the store. (One name per document: of two, SPARQL picks
    either.)"""
    classes = [replace(job_class, sources=job_class.sources[:1]) for job_class in _made_up()]
    store = open_store(None)
    emitter = ClassGraphEmitter(classes)
    store.replace_class_graphs(emitter(position) for position in range(len(classes)))
    titles = emitter.titles
    assert [facts_of_class(job_class, titles=titles) for job_class in classes] == \
        sorted(load_class_facts(store), key=lambda fact: [c.title.value for c in classes].index(fact.title))


def test_fact_predicates_still_cover_the_model_facts(specs_dir: Path) -> None:
    """facts_of_quads of the fact predicates alone equals facts_of_class: the quads a store holds carry them."""
    classes = parsed([specs_dir])
    emitter = ClassGraphEmitter(classes, Iris(), vocabulary_of_classes(classes).label_of)
    for position, job_class in enumerate(classes):
        only = index_triples(emitter(position).triples, FACT_PREDICATES)
        assert facts_of_quads(only) == [facts_of_class(job_class, emitter.iris, emitter.concept_label,
                                                       emitter.titles)]
