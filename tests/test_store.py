"""The embedded store: idempotent rebuilds, one graph replaced per changed spec, round trips, locking."""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rolegraph.errors import StoreError, StoreLocked
from rolegraph.pipeline import build
from rolegraph.store import open_store
from rolegraph.store.lock import running


def copy_specs(specs_dir: Path, target: Path) -> Path:
    shutil.copytree(specs_dir, target)
    return target


def test_rebuilding_the_same_inputs_changes_nothing(store, specs_dir: Path) -> None:
    first = build([specs_dir], store)
    before = io.BytesIO()
    store.export(before, "nq")
    second = build([specs_dir], store)
    after = io.BytesIO()
    store.export(after, "nq")
    assert len(first.written.written) == 5
    assert second.written.written == [] and len(second.written.unchanged) == 5
    assert sorted(before.getvalue().splitlines()) == sorted(after.getvalue().splitlines())


def test_a_changed_spec_replaces_only_its_class_graph(store, specs_dir: Path, tmp_path: Path) -> None:
    specs = copy_specs(specs_dir, tmp_path / "specs")
    build([specs], store)
    hashes = store.class_graph_hashes()
    spec = specs / "002_a5126ba24733d61e.txt"
    spec.write_text(spec.read_text(encoding="utf-8").replace("four (4) years", "five (5) years"), encoding="utf-8")
    summary = build([specs], store)
    assert [name.rsplit("/", 1)[-1] for name in summary.written.written] == ["1343"]
    changed = {name for name, value in store.class_graph_hashes().items() if hashes.get(name) != value}
    assert {name.rsplit("/", 1)[-1] for name in changed} == {"1343"}
    [row] = list(store.query(
        'SELECT ?m WHERE { ?c schema:identifier "1343" ; schema:experienceRequirements/schema:monthsOfExperience ?m }'))
    assert row["m"].value == "60"


def test_a_spec_whose_code_changes_leaves_no_stale_graph(store, specs_dir: Path, tmp_path: Path) -> None:
    specs = copy_specs(specs_dir, tmp_path / "specs")
    build([specs], store)
    spec = specs / "004_7bca78953392f148.txt"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Code 11360", "Code 11361"), encoding="utf-8")
    summary = build([specs], store)
    assert [name.rsplit("/", 1)[-1] for name in summary.written.removed] == ["11360"]
    query = "SELECT ?code WHERE { ?c a rg:JobClass ; schema:identifier ?code }"
    codes = {row["code"].value for row in store.query(query)}
    assert codes == {"1341", "1343", "885.2", "11361"}


def test_export_import_round_trip(store, specs_dir: Path, tmp_path: Path) -> None:
    build([specs_dir], store)
    exported = io.BytesIO()
    store.export(exported, "nq")
    other = open_store(tmp_path / "other")
    try:
        count = other.import_data(exported.getvalue(), "nq")
        again = io.BytesIO()
        other.export(again, "nq")
        assert count == len(store)
        assert sorted(again.getvalue().splitlines()) == sorted(exported.getvalue().splitlines())
    finally:
        other.close()


@pytest.mark.parametrize("format_name", ["turtle", "trig", "nt", "nq", "jsonld", "xml"])
def test_every_export_format_parses(built_seeds, format_name: str) -> None:
    import rdflib

    store, _ = built_seeds
    output = io.BytesIO()
    store.export(output, format_name)
    rdflib_format = {"turtle": "turtle", "trig": "trig", "nt": "nt", "nq": "nquads", "jsonld": "json-ld",
                     "xml": "xml"}[format_name]
    dataset = rdflib.Dataset()
    dataset.parse(data=output.getvalue(), format=rdflib_format)
    triples = {(s, p, o) for s, p, o, _ in dataset.quads((None, None, None, None))}
    assert len(triples) > 1500


def test_store_reopens_with_its_data(specs_dir: Path, tmp_path: Path) -> None:
    location = tmp_path / "store"
    with open_store(location) as first:
        build([specs_dir], first)
        count = len(first)
    with open_store(location, read_only=True) as again:
        assert len(again) == count


def test_a_second_writer_waits_then_stops_with_a_clear_message(tmp_path: Path) -> None:
    location = tmp_path / "store"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from rolegraph.store import open_store
        store = open_store({str(location)!r})
        print("locked", flush=True)
        sys.stdin.readline()
        store.close()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        told: list[str] = []
        with pytest.raises(StoreLocked, match="in use by rolegraph process"):
            open_store(location, lock_timeout=0.5, on_wait=told.append)
        assert len(told) == 1 and "waiting up to 0 s" in told[0]
    finally:
        holder.communicate("done\n", timeout=30)
    open_store(location, lock_timeout=0.5).close()


def test_a_process_forked_by_the_writer_does_not_hold_its_lock(tmp_path: Path) -> None:
    """A writer that dies (SIGKILL) while a process it forked lives on, as a build's parse worker: the lock goes
    with the writer, and the next writer takes it over at once and says whose it was."""
    location = tmp_path / "store"
    open_store(location).close()
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal, sys
        from rolegraph.store import open_store
        store = open_store({str(location)!r})
        child = os.fork()
        if child == 0:
            sys.stdin.readline()  # lives until the test is done
            os._exit(0)
        print(child, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # dies holding the store
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        child = int(writer.stdout.readline())
        assert writer.wait(timeout=60) == -signal.SIGKILL
        assert running(child)
        told: list[str] = []
        # the child closes its copy of the lock file just after the fork; the writer may die before it has:
        # the lock is then free within moments (while the child lives on), never held for the child's life
        with open_store(location, lock_timeout=30, on_wait=told.append):
            assert told[-1] == (f"{location}: taking over the lock of rolegraph process {writer.pid}, "
                                "which is no longer running")
        assert running(child)  # it was alive all along: it did not hold the lock
    finally:
        writer.stdin.close()  # the child reads the end of its input and ends


def dead_pid() -> int:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(ended.stdout)


def test_a_dead_writers_name_is_not_taken_for_the_holder(tmp_path: Path) -> None:
    """The name a killed writer left in the lock file: a waiting process does not say that writer holds the store,
    and the first to take the lock says it takes it over and clears the name."""
    location = tmp_path / "store"
    open_store(location).close()
    lock_file = location / "rolegraph.lock"
    pid = dead_pid()
    lock_file.write_text(f"rolegraph process {pid} (writing)\n")
    with open(lock_file, "rb") as reader:
        fcntl.flock(reader, fcntl.LOCK_SH)  # a reader through a read-only handle: it cannot clear the name
        with pytest.raises(StoreLocked) as raised:
            open_store(location, lock_timeout=0)
    assert f"names rolegraph process {pid}, which is no longer running" in str(raised.value)
    assert "in use by rolegraph process" not in str(raised.value)
    told: list[str] = []
    with open_store(location, read_only=True, lock_timeout=0, on_wait=told.append):
        assert told == [f"{location}: taking over the lock of rolegraph process {pid}, which is no longer running"]
    assert lock_file.read_text() == ""
    lock_file.write_text(f"rolegraph process {pid} (writing)\n")
    with open_store(location, lock_timeout=0, on_wait=told.append):
        assert len(told) == 2 and "taking over the lock of rolegraph process" in told[1]
        assert lock_file.read_text() == f"rolegraph process {os.getpid()} (writing)\n"
    assert lock_file.read_text() == ""
    with open_store(location, lock_timeout=0, on_wait=told.append):
        assert len(told) == 2  # nothing to take over


def test_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(tmp_path / "file")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("precious")
    with pytest.raises(StoreError, match="not empty and is not a rolegraph store"):
        open_store(tmp_path / "full")
    assert (tmp_path / "full" / "mine.txt").read_text() == "precious"
    with pytest.raises(StoreError, match="no rolegraph store here"):
        open_store(tmp_path / "absent", read_only=True)


def test_read_only_store_refuses_writes(specs_dir: Path, tmp_path: Path) -> None:
    location = tmp_path / "store"
    open_store(location).close()
    with open_store(location, read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        build([specs_dir], store)


def test_a_failed_write_leaves_the_old_graph(store, specs_dir: Path) -> None:
    build([specs_dir], store)
    before = io.BytesIO()
    store.export(before, "nq")
    store._store = _Failing(store._store)
    try:
        with pytest.raises(StoreError, match="nothing was changed"):
            store.replace_graph("https://w3id.org/rolegraph/id/graph/ladders", [])
    finally:
        store._store = store._store.inner
    after = io.BytesIO()
    store.export(after, "nq")
    assert before.getvalue() == after.getvalue()


class _Failing:
    """Wraps a pyoxigraph store whose writes fail, as on a full disk."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def update(self, update: str) -> None:
        raise OSError("No space left on device (simulated)")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_build_waits_for_readers_and_says_so(tmp_path: Path, specs_dir: Path) -> None:
    location = tmp_path / "store"
    with open_store(location) as first:
        build([specs_dir], first)
    reader = open_store(location, read_only=True)
    try:
        told: list[str] = []
        with pytest.raises(StoreLocked, match="reading it"):
            open_store(location, lock_timeout=0.3, on_wait=told.append)
        assert told and "in use by another rolegraph process reading it" in told[0]
        with open_store(location, read_only=True) as second_reader:  # readers share
            assert len(second_reader) == len(reader)
    finally:
        reader.close()
    with open_store(location, lock_timeout=0.3) as writer:
        assert len(writer) > 0


def test_a_query_with_from_sees_only_that_graph(built_seeds) -> None:
    store, _ = built_seeds
    graph = "https://w3id.org/rolegraph/id/graph/class/texas/city-of-el-paso/1341"
    query = f"SELECT DISTINCT ?code FROM <{graph}> WHERE {{ ?c a rg:JobClass ; schema:identifier ?code }}"
    rows = list(store.query(query))
    assert [row["code"].value for row in rows] == ["1341"]
    everything = list(store.query("SELECT DISTINCT ?code WHERE { ?c a rg:JobClass ; schema:identifier ?code }"))
    assert len(everything) == 4


def _class_graphs(specs_dir: Path) -> list:
    from rolegraph.pipeline import parse_paths
    from rolegraph.rdf import emit_class_graphs

    return emit_class_graphs(parse_paths([specs_dir]).classes)


def test_new_class_graphs_load_in_the_background_batch_by_batch(specs_dir: Path, monkeypatch) -> None:
    """Graphs go to Oxigraph's bulk loader as N-Quads text, one batch loading while the next is made: each
    batch loads whole; a caller failing mid-way leaves the batches handed over complete and nothing else."""
    import rolegraph.store.oxigraph as module

    graphs = _class_graphs(specs_dir)
    monkeypatch.setattr(module, "FIRST_BATCH_QUADS", 1)  # one graph per batch
    monkeypatch.setattr(module, "BATCH_QUADS", 1)

    def failing_after_two():
        yield from graphs[:2]
        raise ValueError("the emitter failed")

    with open_store(None) as target:
        with pytest.raises(ValueError, match="emitter failed"):
            target.replace_class_graphs(failing_after_two())
        assert set(target.class_graph_hashes()) == {graph.graph.value for graph in graphs[:2]}
        for graph in graphs[:2]:
            stored = list(target.oxigraph.quads_for_pattern(None, None, None, graph.graph))
            assert len(stored) == len(graph.lines) + 2  # and its content hash is there: the graph is whole
        summary = target.replace_class_graphs(graphs)
        assert len(summary.written) == len(graphs) - 2 and len(summary.unchanged) == 2
        assert len(target) == len({*(line for graph in graphs for line in (*graph.lines, *graph.marker_lines(),
                                                                             *graph.shared_lines))})


def test_a_failed_bulk_load_is_a_store_error(specs_dir: Path, monkeypatch) -> None:
    graphs = _class_graphs(specs_dir)
    with open_store(None) as target:
        loads = []

        def failing_load(data: bytes) -> None:
            loads.append(data)
            raise StoreError(":memory:: write failed, nothing of this batch was written: disk full (simulated)")

        monkeypatch.setattr(target, "_load_nquads", failing_load)
        with pytest.raises(StoreError, match="nothing of this batch was written"):
            target.replace_class_graphs(graphs)
        assert loads and len(target) == 0
