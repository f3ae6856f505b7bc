"""The pipeline: parallel parsing gives exactly what sequential parsing gives."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pyoxigraph
import pytest

from rolegraph import pipeline, rebuild
from rolegraph.rdf import emit_class_graphs


def test_parallel_parse_equals_sequential(specs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = pipeline.parse_paths([specs_dir], workers=1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 2)
    seen: list[str] = []
    parallel = pipeline.parse_paths([specs_dir, Path(specs_dir) / "missing.txt"], workers=2,
                                    progress=lambda path: seen.append(path.name))
    assert [c.content_hash for c in emit_class_graphs(parallel.classes)] == \
        [c.content_hash for c in emit_class_graphs(sequential.classes)]
    assert [failure.path.name for failure in parallel.failures] == ["missing.txt"]
    assert len(seen) == 6


_PARSED_HERE: list[str] = []
_real_read_and_parse = pipeline.read_and_parse


def _read_and_parse_noted(path: Path, cache_directory: Path | None = None) -> object:
    """read_and_parse, noting the files parsed in this process (a worker appends to its own copy of the list)."""
    _PARSED_HERE.append(path.name)
    return _real_read_and_parse(path, cache_directory)


def test_this_process_and_the_workers_share_the_files(specs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers take files from the front and this process from the back: each file once, each in its place."""
    sequential = pipeline.parse_paths([specs_dir], workers=1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(pipeline, "PARSE_CHUNK", 1)
    monkeypatch.setattr(pipeline, "read_and_parse", _read_and_parse_noted)
    _PARSED_HERE.clear()
    seen: list[str] = []
    shared = pipeline.parse_paths([specs_dir, Path(specs_dir) / "missing.txt"], workers=2,
                                  progress=lambda path: seen.append(path.name))
    assert sorted(seen) == sorted(path.name for path in shared.files)  # each file once
    assert 0 < len(_PARSED_HERE) < len(seen)  # some here, the others in the worker
    assert [c.content_hash for c in emit_class_graphs(shared.classes)] == \
        [c.content_hash for c in emit_class_graphs(sequential.classes)]
    assert [failure.path.name for failure in shared.failures] == ["missing.txt"]


def test_parse_workers_are_forked_with_this_process_objects_frozen(specs_dir: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers' collections must not scan what they inherit (gc.freeze before forking); the objects are given
    back to this process's collector after, unless they were frozen already (a command's collector_paused)."""
    import gc

    frozen_at_start: list[int] = []
    real_pool = pipeline.ProcessPoolExecutor

    def pool(*args: object, **kwargs: object) -> object:
        frozen_at_start.append(gc.get_freeze_count())
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", pool)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 2)
    gc.unfreeze()  # as in a fresh process
    pipeline.parse_paths([specs_dir], workers=2)
    assert frozen_at_start[0] > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        pipeline.parse_paths([specs_dir], workers=2)
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_unchanged_sources_are_not_parsed_again(specs_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import shutil

    from rolegraph.store import open_store

    specs = shutil.copytree(specs_dir, tmp_path / "specs")
    parsed: list[str] = []
    real_parse = pipeline.parse_document
    monkeypatch.setattr(pipeline, "parse_document",
                        lambda document: parsed.append(document.name) or real_parse(document))
    with open_store(tmp_path / "store") as store:
        pipeline.build([specs], store)
        assert len(parsed) == 5
        parsed.clear()
        again = pipeline.build([specs], store)
        assert parsed == [] and again.written.written == []
        changed = specs / "002_a5126ba24733d61e.txt"
        changed.write_text(changed.read_text(encoding="utf-8").replace("four (4) years", "five (5) years"))
        pipeline.build([specs], store)
        assert parsed == ["002_a5126ba24733d61e.txt"]
        incremental = io.BytesIO()
        store.export(incremental, "nq")
    with open_store(tmp_path / "fresh") as fresh:
        pipeline.build([specs], fresh)
        clean = io.BytesIO()
        fresh.export(clean, "nq")
    assert sorted(incremental.getvalue().splitlines()) == sorted(clean.getvalue().splitlines())


def test_a_damaged_cache_entry_is_parsed_again(specs_dir: Path, tmp_path: Path) -> None:
    from rolegraph.cache import cached_classes, remember_classes

    path = specs_dir / "004_7bca78953392f148.txt"
    data = path.read_bytes()
    [job_class] = pipeline.parse_paths([path]).classes
    remember_classes(tmp_path, path, data, (job_class,))
    assert cached_classes(tmp_path, path, data) == (job_class,)
    entry = next(tmp_path.rglob("*.pickle"))
    entry.write_bytes(b"not a pickle")
    assert cached_classes(tmp_path, path, data) is None
    assert cached_classes(tmp_path, path.with_name("other.txt"), data) is None


def _generated(tmp_path: Path, count: int = 80, seed: int = 11) -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import generate

    specs = tmp_path / "generated"
    generate.write_specs(count, specs, seed=seed)
    return specs


def test_ladder_facts_in_hand_equal_the_facts_read_from_the_store(specs_dir: Path, tmp_path: Path) -> None:
    from rolegraph.ladders import derive_ladder, load_class_facts, skill_labels
    from rolegraph.store import open_store

    for corpus in (specs_dir, _generated(tmp_path)):
        store = open_store(None)
        summary = pipeline.build([corpus], store)
        from_store = derive_ladder(load_class_facts(store), skill_labels=skill_labels(store))
        assert summary.ladder is not None and summary.ladder.steps
        assert summary.ladder == from_store


@pytest.mark.parametrize("corpus", ["seeds", "la"])
def test_facts_of_quads_equal_load_class_facts(corpus: str, specs_dir: Path, request: pytest.FixtureRequest) -> None:
    from rolegraph.ladders import concept_labels_of_quads, facts_of_quads, load_class_facts, skill_labels
    from rolegraph.rdf import Iris
    from rolegraph.store import open_store

    source = specs_dir if corpus == "seeds" else request.getfixturevalue("la_corpus")
    store = open_store(None)
    store.replace_class_graphs(emit_class_graphs(pipeline.parse_paths([source], workers=1).classes))
    shared = [quad for quad in store.oxigraph.quads_for_pattern(None, None, None, Iris().shared_graph)]
    facts, labels = [], {}
    for name in store.class_graph_hashes():
        quads = [*store.oxigraph.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(name)), *shared]
        facts.extend(facts_of_quads(quads))
        labels.update(concept_labels_of_quads(quads))
    assert sorted(facts, key=lambda fact: fact.iri) == load_class_facts(store)
    assert labels == skill_labels(store)


def _export(store) -> list[bytes]:
    import io

    out = io.BytesIO()
    store.export(out, "nq")
    return sorted(out.getvalue().splitlines())


def _fresh_build(specs: Path, location: Path) -> list[bytes]:
    """The sorted N-Quads of a fresh build of ``specs``: what an incremental build must equal."""
    from rolegraph.store import open_store

    with open_store(location) as fresh:
        pipeline.build([specs], fresh)
        return _export(fresh)


def test_a_rebuild_writes_only_the_ladder_steps_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rolegraph.store import open_store
    from rolegraph.store.oxigraph import OxigraphStore

    specs = _generated(tmp_path, count=80, seed=4)
    changes: list[tuple[int, int]] = []
    real_change = OxigraphStore.change_graph

    def change_graph(self, graph, removed, added, marker) -> None:
        removed, added = list(removed), list(added)
        changes.append((len(removed), len(added)))
        real_change(self, graph, removed, added, marker)

    monkeypatch.setattr(OxigraphStore, "change_graph", change_graph)
    emitted: list[str] = []
    real_emit = pipeline.ClassGraphEmitter.__call__

    def emit(self, position: int):  # every class is emitted in this process
        graph = real_emit(self, position)
        emitted.append(graph.graph.value)
        return graph

    monkeypatch.setattr(pipeline.ClassGraphEmitter, "__call__", emit)
    with open_store(tmp_path / "store") as store:
        first = pipeline.build([specs], store)
        assert len(emitted) == len(first.parsed.classes)
        emitted.clear()
        ladder_quads = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(
            "https://w3id.org/rolegraph/id/graph/ladders")))
        # full: the files were written just before the first build, so whether this one could go by difference
        # (and leave the ladder it carries unset) hung on the clock (rebuild's racy files); a full build is asked
        again = pipeline.build([specs], store, full=True)
        assert changes == [] and emitted == []  # nothing changed: nothing emitted, nothing written
        # (whether by difference or not: that depends on how long ago the specs were written, see _racy)
        assert again.promotions == first.promotions and again.written.triples == first.written.triples
        # a lower class of a ladder now asks for more experience: its steps change, the rest of the ladder not
        step = first.ladder.promotions()[0]
        target = next(job_class for job_class in first.parsed.classes
                      if job_class.code and step.target.endswith("/" + job_class.code.value.lower()))
        spec = next(path for path in specs.iterdir() if path.name in {s.name for s in target.sources})
        text, count = re.subn(r"\w+ \(\d+\) years?", "nine (9) years", spec.read_text(encoding="utf-8"), count=1)
        assert count == 1
        spec.write_text(text, encoding="utf-8")
        changed = pipeline.build([specs], store)
        assert len(changes) == 1 and 0 < sum(changes[0]) < ladder_quads / 4
        assert emitted == changed.written.written and len(emitted) == 1  # one class graph emitted and written
        incremental = _export(store)
    assert _fresh_build(specs, tmp_path / "fresh") == incremental


def test_a_stale_ladder_state_is_not_trusted(tmp_path: Path) -> None:
    from rolegraph.cache import keep_state, load_state
    from rolegraph.ladders import LADDER_STATE
    from rolegraph.store import open_store

    specs = _generated(tmp_path, count=40, seed=9)
    with open_store(tmp_path / "store") as store:
        pipeline.build([specs], store)
        kept = load_state(store.cache_directory, LADDER_STATE)
        keep_state(store.cache_directory, LADDER_STATE, replace(kept, digest="not what the store holds"))
        spec = sorted(specs.glob("*.txt"))[3]
        spec.write_text(spec.read_text(encoding="utf-8").replace("years", "years (revised)", 1), encoding="utf-8")
        pipeline.build([specs], store)
        incremental = _export(store)
    assert _fresh_build(specs, tmp_path / "fresh") == incremental


def test_a_class_graph_the_store_lost_is_emitted_again(tmp_path: Path) -> None:
    from rolegraph.store import open_store

    specs = _generated(tmp_path, count=30, seed=2)
    with open_store(tmp_path / "store") as store:
        pipeline.build([specs], store)
        clean = _export(store)
        lost = sorted(store.class_graph_hashes())[7]
        store.oxigraph.update(f"DROP GRAPH <{lost}>")
        # a store changed by other means: --full checks every class graph (a build by difference trusts the
        # store's ladder marker and the changed classes' hashes, and would not look; whether it is taken depends
        # on how long ago the specs were written, see pipeline._racy)
        summary = pipeline.build([specs], store, full=True)
        assert summary.written.written == [lost]
        assert _export(store) == clean


def test_unchanged_files_are_not_read_again(specs_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    from rolegraph.store import open_store

    specs = shutil.copytree(specs_dir, tmp_path / "specs")  # keeps the files' times: well before the build
    read: list[str] = []
    real_read = pipeline.read_and_parse
    for module in (pipeline, rebuild):  # a full build, and a rebuild by difference
        monkeypatch.setattr(module, "read_and_parse",
                            lambda path, **kw: read.append(path.name) or real_read(path, **kw))
    with open_store(tmp_path / "store") as store:
        pipeline.build([specs], store)
        assert len(read) == 5
        read.clear()
        pipeline.build([specs], store)
        assert read == []
        # same size, same modification time, new content: the change time gives it away
        changed = specs / "002_a5126ba24733d61e.txt"
        before = changed.stat()
        changed.write_text(changed.read_text(encoding="utf-8").replace("four (4) years", "nine (9) years"))
        os.utime(changed, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert changed.stat().st_size == before.st_size
        summary = pipeline.build([specs], store)
        assert read == [changed.name]
        [row] = list(store.query('SELECT ?m WHERE { ?c schema:identifier "1343" ; '
                                 'schema:experienceRequirements/schema:monthsOfExperience ?m }'))
        assert row["m"].value == "108" and len(summary.written.written) == 1


def test_a_file_changed_just_before_a_build_is_read_again() -> None:
    assert pipeline._racy(5_000_000_000 - 50_000_000, 5_000_000_000)  # 50 ms before: may change unseen
    assert not pipeline._racy(5_000_000_000 - 500_000_123, 5_000_000_000)
    assert pipeline._racy(4_000_000_000, 5_000_000_000)  # whole seconds: a coarse clock, 2 s window


def test_a_changed_skill_statement_rebuilds_as_a_fresh_build(tmp_path: Path) -> None:
    from rolegraph.store import open_store

    specs = _generated(tmp_path, count=40, seed=6)
    with open_store(tmp_path / "store") as store:
        pipeline.build([specs], store)
        spec = next(path for path in sorted(specs.glob("*")) if "knowledge of " in path.read_text(encoding="utf-8"))
        spec.write_text(spec.read_text(encoding="utf-8").replace("knowledge of ", "knowledge of municipal bonds and ",
                                                                  1), encoding="utf-8")
        pipeline.build([specs], store)
        incremental = _export(store)
    assert any(b"municipal bonds" in line for line in incremental)
    assert _fresh_build(specs, tmp_path / "fresh") == incremental


def _stamp(path: Path) -> tuple[int, int]:
    """What tells a file written again (its inode alone may be reused by the file written next)."""
    status = path.stat()
    return status.st_ino, status.st_mtime_ns


def test_entries_are_kept_in_shards_and_only_changed_shards_are_written(tmp_path: Path) -> None:
    from rolegraph.cache import SHARDS, STATE_FOLDER, keep_entries, load_entries, shard_of

    entries = {f"key-{number}": number * number for number in range(4000)}
    keep_entries(tmp_path, "squares", "v1", entries, {})
    files = sorted((tmp_path / STATE_FOLDER).glob("squares-*.pickle"))
    stamps = {path.name: _stamp(path) for path in files}
    assert len(files) == SHARDS
    before = load_entries(tmp_path, "squares", "v1")
    assert before == entries
    after = dict(before)
    del after["key-5"]
    after["key-5005"] = 5005 * 5005
    keep_entries(tmp_path, "squares", "v1", after, before)
    rewritten = {path.name for path in files if _stamp(path) != stamps[path.name]}
    assert rewritten == {f"squares-{shard_of(key):02d}.pickle" for key in ("key-5", "key-5005")}
    assert load_entries(tmp_path, "squares", "v1") == after
    assert load_entries(tmp_path, "squares", "v2") == {}  # kept under another tag (code): not used
    damaged = tmp_path / STATE_FOLDER / f"squares-{shard_of('key-7'):02d}.pickle"
    damaged.write_bytes(b"not a pickle")
    found = load_entries(tmp_path, "squares", "v1")
    assert "key-7" not in found and found == {key: value for key, value in after.items()
                                              if shard_of(key) != shard_of("key-7")}


def test_emit_keys_from_the_digests_kept_equal_those_worked_out(specs_dir: Path, tmp_path: Path) -> None:
    from rolegraph.rdf import Iris
    from rolegraph.skills import vocabulary_of_classes

    first = pipeline.parse_paths([specs_dir], workers=1, cache_directory=tmp_path)
    again = pipeline.parse_paths([specs_dir], workers=1, cache_directory=tmp_path)
    assert len(again.digests) == len(first.digests) == 5  # the five specs, the second time from the files state
    as_parsed = [job_class for job_class in again.classes
                 if job_class is again.digests.get(id(job_class), (None, b""))[0]]
    assert 0 < len(as_parsed) < len(again.classes)  # merging and named classes change some, not all
    label = vocabulary_of_classes(again.classes).label_of

    def keys(parsed: pipeline.Parsed, digests: dict) -> list[str]:
        names = pipeline._names_digest(parsed.classes, Iris())
        return [pipeline._emit_key(names, job_class, label, digests) for job_class in parsed.classes]

    assert keys(again, again.digests) == keys(again, {}) == keys(first, first.digests)


_BUILD_IN_A_CLEAN_PROCESS = """
import os, sys
from pathlib import Path
from rolegraph import pipeline, rebuild
from rolegraph.store import open_store

real = pipeline.read_and_parse

def spying(path, cache_directory=None):  # runs here and in the parse workers, which inherit the module as patched
    Path(sys.argv[3], str(os.getpid())).touch()
    return real(path, cache_directory)

pipeline.read_and_parse = spying
with open_store(sys.argv[2]) as store:
    summary = pipeline.build([sys.argv[1]], store)
    print(len(summary.ladder.steps))
"""


def test_a_build_parsing_in_worker_processes_equals_one_parsing_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From PARALLEL_MIN_FILES files, a build forks parse workers (in a process running no other thread, as a
    fresh `rolegraph build` is); the store must be what parsing in the building process gives."""
    import subprocess
    import sys

    from rolegraph.store import open_store

    specs = _generated(tmp_path, count=pipeline.PARALLEL_MIN_FILES + 40, seed=5)
    workers = tmp_path / "workers"
    workers.mkdir()
    done = subprocess.run([sys.executable, "-c", _BUILD_IN_A_CLEAN_PROCESS, str(specs), str(tmp_path / "forked"),
                           str(workers)], capture_output=True, text=True, check=True)
    pids = {int(path.name) for path in workers.iterdir()}
    # that process and its parse workers did the parsing, one process per core in all
    assert pids and len(pids) <= (__import__("os").cpu_count() or 1)
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_FILES", 10**9)  # parsed here, one by one
    with open_store(tmp_path / "here") as store:
        here = pipeline.build([specs], store)
        expected = _export(store)
    with open_store(tmp_path / "forked") as store:
        assert _export(store) == expected
    assert int(done.stdout) == len(here.ladder.steps) > 0


def test_a_build_reports_its_stages(specs_dir: Path) -> None:
    from rolegraph.store import open_store

    files: list[str] = []
    stages: list[list] = []

    def stage(name: str, total: int | None):
        stages.append([name, total, 0])
        return lambda: stages[-1].__setitem__(2, stages[-1][2] + 1)

    with open_store(None) as store:
        summary = pipeline.build([specs_dir], store, progress=lambda path: files.append(path.name), stages=stage)
    assert sorted(files) == sorted(path.name for path in specs_dir.iterdir())
    graphs = len(summary.written.written)
    assert stages == [["writing class graphs", graphs, graphs], ["deriving promotion steps", None, 0]]


def test_a_large_build_compacts_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rolegraph.store import open_store
    from rolegraph.store.oxigraph import OxigraphStore

    specs = _generated(tmp_path, count=30, seed=4)
    compacted: list[str] = []
    real_compact = OxigraphStore.compact

    def compact(self) -> None:
        compacted.append(self.location)
        real_compact(self)

    monkeypatch.setattr(OxigraphStore, "compact", compact)
    monkeypatch.setattr(pipeline, "COMPACT_MIN_GRAPHS", 10)
    with open_store(tmp_path / "store") as store:
        stages: list[str] = []
        pipeline.build([specs], store, stages=lambda name, total: (stages.append(name), lambda: None)[1])
        assert compacted == [str(tmp_path / "store")] and stages[-1] == "compacting the store"
        assert pipeline.build([specs], store, full=True).written.written == []  # nothing written: not compacted
        assert len(compacted) == 1
        compacted_export = _export(store)
    assert _fresh_build(specs, tmp_path / "fresh") == compacted_export
