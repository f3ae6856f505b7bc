"""State of California class specifications: a hand-read gold (tests/data/gold/calhr_sample.json) scored as issue 19
asks: classes and titles, feeder classes with their months, definitions and requirement patterns.

The gold holds 40 pages drawn with random.Random(2026).sample(sorted(file names), 40), each read by eye from its
HTML text (its "conventions" say how). The figures are printed (``pytest -s``); the issue's targets are asserted:
classes and titles >= 0.98, feeder precision and recall >= 0.95, months >= 0.90; and the share of classes with the
gold's number of requirement paths (patterns) >= 0.90: a requirement stated without alternatives is one path, a
pointer to another section none.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from rolegraph.model import JobClass
from rolegraph.parser import parse_document
from rolegraph.parser.tables import fold
from rolegraph.readers import read_source

GOLD = json.loads((Path(__file__).resolve().parent / "data" / "gold" / "calhr_sample.json").read_text(encoding="utf-8"))
SPECS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "calhr-specs" / "specs"
CLASS_TARGET = 0.98
FEEDER_TARGET = 0.95
MONTHS_TARGET = 0.90
PATTERNS_TARGET = 0.90


def feeders(job_class: JobClass) -> set[tuple[str, int]]:
    """(folded title, months) of every class named in the class's experience requirements (those of every path, or of
    a requirement written with no patterns), parts included."""
    found: set[tuple[str, int]] = set()

    def visit(requirement) -> None:
        found.update((fold(name), int(requirement.months)) for name in requirement.in_classes)
        for part in requirement.included:
            visit(part)

    for requirement in job_class.experience:
        visit(requirement)
    return found


@dataclass
class Scores:
    """Precision/recall of sets, as (right, found, expected) counts."""

    right: int
    found: int
    expected: int

    @classmethod
    def of(cls, expected: set, found: set) -> Scores:
        return cls(len(expected & found), len(found), len(expected))

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0


@pytest.fixture(scope="module")
def parsed() -> dict[str, tuple[JobClass, ...]]:
    if not SPECS.is_dir():
        pytest.skip(f"CalHR corpus not found at {SPECS} (../shared is absent on this machine)")
    return {page["file"]: parse_document(read_source(SPECS / page["file"])) for page in GOLD["pages"]}


def _code(job_class: JobClass) -> str | None:
    return job_class.code.value if job_class.code else None


def _by_code(parsed: dict[str, tuple[JobClass, ...]]) -> dict[tuple[str, str | None], JobClass]:
    return {(file, _code(job_class)): job_class for file, classes in parsed.items() for job_class in classes}


def _gold_classes() -> list[tuple[str, dict]]:
    return [(page["file"], entry) for page in GOLD["pages"] for entry in page["classes"]]


def test_gold_is_the_documented_sample() -> None:
    if not SPECS.is_dir():
        pytest.skip(f"CalHR corpus not found at {SPECS} (../shared is absent on this machine)")
    names = sorted(path.name for path in SPECS.iterdir())
    assert [page["file"] for page in GOLD["pages"]] == random.Random(GOLD["seed"]).sample(names, GOLD["size"])


def test_gold_entries_are_complete() -> None:
    for file, entry in _gold_classes():
        assert {"code", "title", "definition", "patterns", "feeders"} <= set(entry), (file, entry)
        assert all(isinstance(title, str) and isinstance(months, int) for title, months in entry["feeders"])


def test_classes_and_titles(parsed: dict[str, tuple[JobClass, ...]]) -> None:
    expected = {(file, entry["code"], entry["title"]) for file, entry in _gold_classes()}
    found = {(file, _code(job_class), job_class.title.value) for file, classes in parsed.items()
             for job_class in classes}
    classes = Scores.of({item[:2] for item in expected}, {item[:2] for item in found})
    titles = Scores.of(expected, found)
    print(f"\nclasses P {classes.precision:.3f} R {classes.recall:.3f}; "
          f"titles P {titles.precision:.3f} R {titles.recall:.3f} ({titles.right}/{titles.expected})")
    assert min(classes.precision, classes.recall, titles.precision, titles.recall) >= CLASS_TARGET, (
        f"missing {sorted(expected - found)}; extra {sorted(found - expected)}")


def _feeder_sets(parsed: dict[str, tuple[JobClass, ...]]) -> tuple[set, set]:
    """(file, code, folded title, months) expected and found, over the classes the gold and the parse share."""
    by_code = _by_code(parsed)
    expected = {(file, entry["code"], fold(title), months) for file, entry in _gold_classes()
                for title, months in entry["feeders"]}
    found = {(file, entry["code"], *feeder) for file, entry in _gold_classes()
             if (job_class := by_code.get((file, entry["code"]))) is not None for feeder in feeders(job_class)}
    return expected, found


def test_feeder_precision_recall_and_months(parsed: dict[str, tuple[JobClass, ...]]) -> None:
    expected, found = _feeder_sets(parsed)
    named = Scores.of({item[:3] for item in expected}, {item[:3] for item in found})
    matched = {item[:3] for item in expected} & {item[:3] for item in found}
    months_expected = {item for item in expected if item[:3] in matched}
    months = len(months_expected & found) / len(months_expected) if months_expected else 1.0
    print(f"\nfeeders P {named.precision:.3f} R {named.recall:.3f} ({named.right} right, {named.found} found, "
          f"{named.expected} expected); months {months:.3f} of {len(months_expected)}")
    wrong_months = sorted(months_expected - found)
    assert named.precision >= FEEDER_TARGET and named.recall >= FEEDER_TARGET and months >= MONTHS_TARGET, (
        f"missing {sorted({item[:3] for item in expected} - {item[:3] for item in found})}; "
        f"extra {sorted({item[:3] for item in found} - {item[:3] for item in expected})}; "
        f"months wrong {wrong_months}")


def test_definitions_and_patterns(parsed: dict[str, tuple[JobClass, ...]]) -> None:
    """Definition presence (reported) and the number of patterns (requirement paths; asserted)."""
    by_code = _by_code(parsed)
    rows = [(file, entry, by_code.get((file, entry["code"]))) for file, entry in _gold_classes()]
    rows = [(file, entry, job_class) for file, entry, job_class in rows if job_class is not None]
    definitions = [(file, entry["code"]) for file, entry, job_class in rows
                   if entry["definition"] != bool(job_class.summary or job_class.duties)]
    patterns = [(file, entry["code"], entry["patterns"], len(job_class.requirement_paths))
                for file, entry, job_class in rows if entry["patterns"] != len(job_class.requirement_paths)]
    print(f"\ndefinition {1 - len(definitions) / len(rows):.3f} (wrong: {definitions}); "
          f"patterns {1 - len(patterns) / len(rows):.3f} (wrong (file, code, gold, parsed): {patterns})")
    assert rows
    assert 1 - len(patterns) / len(rows) >= PATTERNS_TARGET, f"wrong (file, code, gold, parsed): {patterns}"
