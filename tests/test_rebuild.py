"""A rebuild by difference gives exactly what a full build of the same files gives, or is not taken."""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from rolegraph import pipeline, rebuild
from rolegraph.coverage import coverage_of_classes
from rolegraph.store import open_store


def _corpus(tmp_path: Path, specs_dir: Path) -> Path:
    """60 generated specs and the five seeds (two of which are one class): every file dated an hour ago."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import generate

    specs = tmp_path / "specs"
    generate.write_specs(60, specs, seed=5)
    (specs / ".manifest.json").unlink()
    for seed in specs_dir.iterdir():
        shutil.copy(seed, specs / seed.name)
    for number, path in enumerate(sorted(specs.iterdir())):
        _date(path, number)
    return specs


def _date(path: Path, seconds: int) -> None:
    """Date a file in the past (well clear of the window in which a build does not trust a file's times)."""
    when = time.time_ns() - 3_600_000_000_000 + seconds * 1_000_000_000
    os.utime(path, ns=(when, when))


def _export(store) -> list[bytes]:
    out = io.BytesIO()
    store.export(out, "nq")
    return sorted(out.getvalue().splitlines())


def _figures(summary: pipeline.BuildSummary, quads: int) -> dict[str, object]:
    """What a build says of itself, and the quads in its store (a build that counted them must say that many)."""
    assert summary.quads in (None, quads)
    return {"classes": summary.classes, "stubs": summary.stubs, "store quads": quads,
            "triples": summary.written.triples, "promotions": summary.promotions, "coverage": summary.coverage,
            "failures": [str(failure) for failure in summary.parsed.failures],
            "skipped": [str(failure) for failure in summary.parsed.skipped]}


def _first(pattern: str, replacement: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        changed, count = re.subn(pattern, replacement, text, count=1)
        assert count == 1, pattern
        return changed
    return edit


# (what is edited, which file (a name pattern, or a line the file must contain), the edit, whether the rebuild goes
# by difference: a change that reaches other classes, the merge or the skills vocabulary takes a full build)
EDITS: list[tuple[str, str, Callable[[str], str], bool]] = [
    ("experience years", "years experience", _first(r"\(\d+\) years? experience", "(9) years experience"), True),
    ("the summary", "supervision, ", _first(r"Under \w+ supervision", "Under close supervision"), True),
    ("a line added at the end (to its last skill statement)", "Ability to: ",
     lambda text: text + "\nEmployees may be assigned to night shifts.\n", False),
    ("only its times", "Typical Duties", lambda text: text, True),
    ("the Markdown rendering of a class also read from PDF text", "001_", _first(r"act as initial", "act as first"),
     True),
    ("a title", "General Purpose",
     _first(r"\n([A-Z][A-Z ]+[A-Z])\n\nGeneral Purpose", "\nCHIEF \\1\n\nGeneral Purpose"), False),
    ("a skill statement", "knowledge of", _first(r"knowledge of ", "knowledge of municipal bonds and "), False),
    ("a class code", "Code 1", _first(r"Code 1(\d+)", r"Code 2\1"), False),
    ("the experience of a class whose job family names stub classes", "003_", _first(r"One year of", "Two years of"),
     True),
    ("a line added above its job family (stub classes record where they are named)", "003_",
     _first(r"\nCustomer Service Clerk", "\n\nCustomer Service Clerk"), False),
]


@pytest.fixture()
def built(tmp_path: Path, specs_dir: Path):
    specs = _corpus(tmp_path, specs_dir)
    with open_store(tmp_path / "store") as store:
        summary = pipeline.build([specs], store)
        assert not summary.by_difference
        yield specs, store


def _pick(specs: Path, where: str, used: set[str]) -> Path:
    """The file named ``where...``, or the first not ``used`` yet that contains ``where``."""
    for path in sorted(specs.iterdir()):
        if path.name.startswith(where):
            return path
        if path.name not in used and where in path.read_text(encoding="utf-8", errors="replace"):
            used.add(path.name)
            return path
    raise AssertionError(f"no file for {where!r}")


def test_each_rebuild_equals_a_full_build_of_the_same_files(built, tmp_path: Path, monkeypatch) -> None:
    specs, store = built
    used: set[str] = set()
    around: list[bool] = []  # whether each ladder stage of a rebuild derived from the changed classes alone

    def write_ladder_around(*args, **options):
        ladder = write_around(*args, **options)
        around.append(ladder is not None)
        return ladder

    write_around = rebuild.write_ladder_around
    monkeypatch.setattr(rebuild, "write_ladder_around", write_ladder_around)
    for step, (what, where, edit, by_difference) in enumerate(EDITS, start=1):
        path = _pick(specs, where, used)
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        _date(path, 100 + step)
        summary = pipeline.build([specs], store)
        assert summary.by_difference == by_difference, f"{what}: {summary.full_because}"
        with open_store(tmp_path / f"fresh-{step}") as fresh:
            expected = pipeline.build([specs], fresh)
            assert not expected.by_difference
            assert _export(store) == _export(fresh), what
            assert _figures(summary, len(store)) == _figures(expected, len(fresh)), what
        if by_difference:  # the classes, when asked for, are those of a full build too
            assert coverage_of_classes(summary.parsed.classes) == expected.coverage
    assert around.count(True) >= 2, around  # the experience edits: their ladder facts changed


def test_a_rebuild_by_difference_parses_and_writes_only_the_changed_file(built, monkeypatch: pytest.MonkeyPatch
                                                                         ) -> None:
    specs, store = built
    read: list[str] = []
    real_read = pipeline.read_and_parse
    for module in (pipeline, rebuild):
        monkeypatch.setattr(module, "read_and_parse",
                            lambda path, **kw: read.append(path.name) or real_read(path, **kw))
    path = _pick(specs, "supervision, ", set())
    path.write_text(path.read_text(encoding="utf-8").replace("supervision, ", "supervision (revised), ", 1),
                    encoding="utf-8")
    _date(path, 500)
    summary = pipeline.build([specs], store)
    assert summary.by_difference and read == [path.name]
    assert len(summary.written.written) == 1 and len(summary.written.unchanged) == len(summary.parsed.classes) - 1
    read.clear()
    again = pipeline.build([specs], store)  # nothing changed since
    assert again.by_difference and read == [] and again.written.written == []


@pytest.mark.parametrize("changed", ["the changed class's graph", "the ladder graph"])
def test_a_store_that_no_longer_holds_what_the_snapshot_says_takes_a_full_build(built, changed: str,
                                                                              tmp_path: Path) -> None:
    from rolegraph.rdf import Iris
    from rolegraph.rdf.namespaces import RG

    specs, store = built
    path = _pick(specs, "supervision, ", set())
    [graph] = [graph for graph, _ in store.class_graph_hashes().items()
               if any(row["c"] for row in store.query(f"SELECT ?c WHERE {{ GRAPH <{graph}> {{ ?c "
                                                      f"prov:wasDerivedFrom/schema:name {_quoted(path.name)} }} }}"))]
    graph = graph if changed.startswith("the changed") else Iris().ladder_graph.value
    marker = f"<{graph}> <{RG.contentHash.value}>"
    store.oxigraph.update(f"DELETE {{ GRAPH <{graph}> {{ {marker} ?hash }} }} "
                          f"INSERT {{ GRAPH <{graph}> {{ {marker} \"written by another\" }} }} "
                          f"WHERE {{ GRAPH <{graph}> {{ {marker} ?hash }} }}")
    path.write_text(path.read_text(encoding="utf-8").replace("supervision, ", "supervision (revised), ", 1),
                    encoding="utf-8")
    _date(path, 600)
    assert not pipeline.build([specs], store).by_difference
    with open_store(tmp_path / "fresh") as fresh:
        pipeline.build([specs], fresh)
        assert _export(store) == _export(fresh)


def test_import_forgets_the_snapshot(built) -> None:
    from rolegraph.cache import load_state

    specs, store = built
    assert load_state(store.cache_directory, rebuild.SNAPSHOT_STATE) is not None
    store.import_data(b"<https://example.org/a> <https://example.org/b> <https://example.org/c> "
                      b"<https://example.org/g> .\n", "nq")
    assert load_state(store.cache_directory, rebuild.SNAPSHOT_STATE) is None
    assert not pipeline.build([specs], store).by_difference


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_a_build_that_stops_half_way_leaves_no_snapshot(built, monkeypatch: pytest.MonkeyPatch) -> None:
    from rolegraph.cache import load_state
    from rolegraph.store.oxigraph import OxigraphStore

    specs, store = built
    path = _pick(specs, "supervision, ", set())
    path.write_text(path.read_text(encoding="utf-8").replace("supervision, ", "supervision (revised), ", 1),
                    encoding="utf-8")
    _date(path, 700)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(OxigraphStore, "replace_class_graphs", fail)
    with pytest.raises(OSError, match="disk full"):  # the store's own failure, not one of the build's
        pipeline.build([specs], store)
    assert load_state(store.cache_directory, rebuild.SNAPSHOT_STATE) is None
    monkeypatch.undo()
    assert not pipeline.build([specs], store).by_difference  # a full build, then snapshots again
    assert pipeline.build([specs], store).by_difference


def test_a_file_that_no_longer_reads_takes_a_full_build_and_is_reported(built) -> None:
    specs, store = built
    path = _pick(specs, "Typical Duties", set())
    path.write_bytes(b"")
    _date(path, 800)
    summary = pipeline.build([specs], store)
    assert not summary.by_difference
    assert [failure.path.name for failure in summary.parsed.failures] == [path.name]
    again = pipeline.build([specs], store)  # it still fails: not by difference (it failed then, and fails now)
    assert not again.by_difference and [failure.path.name for failure in again.parsed.failures] == [path.name]


def test_rebuilds_of_edited_la_bulletins_equal_full_builds(la_corpus: Path, la_pdfs: Path, tmp_path: Path) -> None:
    """Real bulletins: two editions of one class merge, PDFs and their text files merge, stub classes abound."""
    specs = tmp_path / "la"
    shutil.copytree(la_corpus, specs / "text")
    shutil.copytree(la_pdfs, specs / "pdf")
    for number, path in enumerate(sorted(specs.rglob("*.*"))):
        _date(path, number % 1000)
    merged = next(path for path in sorted((specs / "text").iterdir())
                  if (specs / "pdf" / path.with_suffix(".pdf").name).exists())
    with_years = next(path for path in sorted((specs / "text").iterdir())[100:]
                      if b"two years of full-time" in path.read_bytes())
    edits = [  # (the file, the edit, by difference)
        (merged, lambda text: text.replace("full-time", "full time", 1), True),
        (with_years, lambda text: text.replace("two years of full-time", "three years of full-time", 1), True),
        # every line but the first moves down one: a bulletin that names no class is still rebuilt by difference
        (sorted((specs / "text").iterdir())[200], lambda text: text.replace("\n", "\n\n", 1), True),
    ]
    with open_store(tmp_path / "store") as store:
        pipeline.build([specs], store)
        for step, (path, edit, by_difference) in enumerate(edits):
            text = path.read_bytes().decode("utf-8", "surrogateescape")
            changed = edit(text)
            assert changed != text
            path.write_bytes(changed.encode("utf-8", "surrogateescape"))
            _date(path, 2000 + step)
            summary = pipeline.build([specs], store)
            assert summary.by_difference == by_difference, summary.full_because
            with open_store(None) as fresh:
                expected = pipeline.build([specs], fresh)
                assert _export(store) == _export(fresh)
                assert _figures(summary, len(store)) == _figures(expected, len(fresh))


@pytest.mark.parametrize("damage", ["a table of classes from another build", "no table of classes",
                                    "a ladder written by another"])
def test_a_ladder_state_that_does_not_hold_together_is_not_used(built, tmp_path: Path, damage: str) -> None:
    """The ladder state is a pickle and a SQLite file, written one after the other: when they do not belong
    together (a build stopped between the two, a file removed) or the store's ladder graph is not the one kept,
    the ladder is derived from every class's facts, and the store still equals a fresh build."""
    import sqlite3

    from rolegraph.cache import STATE_FOLDER
    from rolegraph.ladders import kept
    from rolegraph.rdf import Iris
    from rolegraph.rdf.namespaces import RG

    specs, store = built
    table = store.cache_directory / STATE_FOLDER / kept.CLASSES_FILE
    if damage == "a table of classes from another build":
        with sqlite3.connect(table) as connection:
            connection.execute("UPDATE meta SET value = 'another' WHERE key = 'generation'")
    elif damage == "no table of classes":
        table.unlink()
    else:
        graph = Iris().ladder_graph.value
        marker = f"<{graph}> <{RG.contentHash.value}>"
        store.oxigraph.update(f"DELETE {{ GRAPH <{graph}> {{ {marker} ?hash }} }} "
                              f"INSERT {{ GRAPH <{graph}> {{ {marker} \"written by another\" }} }} "
                              f"WHERE {{ GRAPH <{graph}> {{ {marker} ?hash }} }}")
    assert kept.load_kept(store.cache_directory) is None or damage == "a ladder written by another"
    summary = _experience_edited(specs, store, 7, 800)
    assert summary.by_difference == (damage != "a ladder written by another")  # that takes a full build
    with open_store(tmp_path / "fresh") as fresh:
        expected = pipeline.build([specs], fresh)
        assert _export(store) == _export(fresh)
        assert _figures(summary, len(store)) == _figures(expected, len(fresh))
    assert kept.load_kept(store.cache_directory) is not None  # kept again, whole


def test_a_ladder_state_kept_by_other_code_is_written_again_whole(built, tmp_path: Path) -> None:
    """Class words worked out by other code (other stop words, say) must not outlive it: a full build with this
    code writes every class's row again, though the class's facts (its version) are the same."""
    import pickle
    import sqlite3
    from dataclasses import replace

    from rolegraph.cache import STATE_FOLDER, keep_state, load_state
    from rolegraph.ladders import kept

    specs, store = built
    with sqlite3.connect(store.cache_directory / STATE_FOLDER / kept.CLASSES_FILE) as connection:
        wrong = pickle.dumps(pickle.loads(connection.execute("SELECT words FROM classes").fetchone()[0]))
        connection.execute("UPDATE classes SET words = ?", (wrong,))  # every class with one class's words
        connection.execute("UPDATE meta SET value = 'other code' WHERE key = 'tag'")
    state = load_state(store.cache_directory, kept.LADDER_STATE)
    keep_state(store.cache_directory, kept.LADDER_STATE, replace(state, tag="other code"))
    assert not pipeline.build([specs], store, full=True).by_difference
    assert _experience_edited(specs, store, 8, 900).by_difference
    _same_as_fresh(specs, store, tmp_path)


def test_a_damaged_table_of_classes_is_not_used(built, tmp_path: Path) -> None:
    """Rows that do not unpickle (a damaged file): the ladder is derived from every class's facts instead."""
    import sqlite3

    from rolegraph.cache import STATE_FOLDER
    from rolegraph.ladders import kept

    specs, store = built
    with sqlite3.connect(store.cache_directory / STATE_FOLDER / kept.CLASSES_FILE) as connection:
        connection.execute("UPDATE classes SET facts = x'00', words = x'00'")
    assert _experience_edited(specs, store, 6, 1000).by_difference
    _same_as_fresh(specs, store, tmp_path)


def _experience_edited(specs: Path, store, years: int, when: int) -> pipeline.BuildSummary:
    """Build again after changing the years of experience a spec asks for (its ladder facts change)."""
    path = _pick(specs, "years experience", set())
    path.write_text(_first(r"\(\d+\) years? experience", f"({years}) years experience")(
        path.read_text(encoding="utf-8")), encoding="utf-8")
    _date(path, when)
    return pipeline.build([specs], store)


def _same_as_fresh(specs: Path, store, tmp_path: Path) -> None:
    with open_store(tmp_path / "fresh") as fresh:
        pipeline.build([specs], fresh)
        assert _export(store) == _export(fresh)
