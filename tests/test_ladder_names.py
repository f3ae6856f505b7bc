"""Naming classes for a ladder when several employers have a class of that title: "Title (Employer)", and two
names that each employer has ("Clerk" to "Senior Clerk") answered employer by employer. Made-up employers."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rolegraph.cli import cli
from rolegraph.errors import Ambiguous
from rolegraph.ladders import paths, paths_by_employer
from rolegraph.store import open_store

EMPLOYERS = {"Kestrel County": "1", "Osprey City": "2"}


def _spec(title: str, code: str, employer: str, grade: int, requirement: str) -> str:
    return (f"# {title}\n\nClass Code: {code}\n\nEmployer: {employer}\n\nPay Grade: {grade}\n\n## Definition\n\n"
            f"Performs {title.lower()} work for the offices of {employer}.\n\n## Minimum Qualifications\n\n"
            f"{requirement}\n")


@pytest.fixture(scope="module")
def two_employers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    specs = tmp_path_factory.mktemp("specs")
    for employer, number in EMPLOYERS.items():
        slug = employer.lower().replace(" ", "-")
        (specs / f"{slug}-clerk.md").write_text(
            _spec("Clerk", f"{number}01", employer, 5, "One year of clerical experience."), encoding="utf-8")
        (specs / f"{slug}-senior.md").write_text(
            _spec("Senior Clerk", f"{number}02", employer, 7, "Two years of experience as a Clerk."),
            encoding="utf-8")
    store = tmp_path_factory.mktemp("store") / "store"
    result = CliRunner().invoke(cli, ["build", str(specs), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def test_a_name_several_employers_share_is_ambiguous_and_says_how_to_choose(two_employers: Path) -> None:
    store = open_store(two_employers, read_only=True)
    try:
        with pytest.raises(Ambiguous, match=r"names 2 job classes.*'Clerk \(Kestrel County\)'"):
            paths(store, "Clerk")
        chosen = paths(store, "Clerk (Osprey City)")
        assert (chosen.origin.code, chosen.origin.jurisdiction) == ("201", "Osprey City")
        assert [path.classes[-1] for path in chosen.paths] == [paths(store, "202").origin.iri]
    finally:
        store.close()


def test_two_names_each_employer_has_give_each_employers_ladder(two_employers: Path) -> None:
    store = open_store(two_employers, read_only=True)
    try:
        results = paths_by_employer(store, "Clerk", "Senior Clerk")
        assert sorted((r.origin.code, r.target.code if r.target else None) for r in results) == [
            ("101", "102"), ("201", "202")]
        assert all(len(result.paths) == 1 for result in results)
        with pytest.raises(Ambiguous, match="several employers"):
            paths(store, "Clerk", "Senior Clerk")  # one result wanted: the caller must choose
        one = paths(store, "Clerk", "Senior Clerk (Kestrel County)")
        assert (one.origin.code, one.target.code) == ("101", "102")  # the origin follows the target's employer
    finally:
        store.close()


def test_cli_prints_each_employers_ladder_in_text_and_asks_for_one_in_other_formats(two_employers: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["ladder", "Clerk", "Senior Clerk", "--store", str(two_employers)])
    assert text.exit_code == 0, text.output
    assert "101 Clerk -> 102 Senior Clerk" in text.output and "201 Clerk -> 202 Senior Clerk" in text.output
    svg = runner.invoke(cli, ["ladder", "Clerk", "Senior Clerk", "--format", "svg", "--store", str(two_employers)])
    assert svg.exit_code != 0 and "add the employer in brackets" in svg.output
