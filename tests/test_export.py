"""`rolegraph export`: every format holds what the store holds, written by Oxigraph's serializers, whole or not at all.

The dataset formats (nq, trig, jsonld) hold every quad, one named graph per class; the union formats (nt, turtle,
xml) every distinct triple of the union of the graphs. bench/export.py times them against `Store.dump`.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from rolegraph.cli import cli
from rolegraph.errors import StoreError
from rolegraph.store import EXPORT_FORMATS, open_store
from rolegraph.store.oxigraph import OxigraphStore
from rolegraph.store.remote import RemoteStore

ROOT = Path(__file__).resolve().parent.parent
NAME_TO_FORMAT = {name: getattr(ox.RdfFormat, attribute) for name, (attribute, _) in EXPORT_FORMATS.items()}
KEEPS_GRAPHS = {name for name, (_, keeps) in EXPORT_FORMATS.items() if keeps}


def _built(specs: Path, store: Path) -> Path:
    result = CliRunner().invoke(cli, ["build", str(specs), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


@pytest.fixture(scope="module")
def seeds_store(tmp_path_factory: pytest.TempPathFactory, specs_dir: Path) -> Path:
    return _built(specs_dir, tmp_path_factory.mktemp("seeds") / "store")


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 generated specifications (bench/generate.py) in the seeds' three layouts, ladders and defects."""
    spec = importlib.util.spec_from_file_location("rolegraph_bench_generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # dataclasses look their module up while the class is made
    spec.loader.exec_module(generator)
    work = tmp_path_factory.mktemp("generated")
    generator.write_specs(60, work / "specs", seed=3)
    return _built(work / "specs", work / "store")


def expected(store: Path, format_name: str) -> set[ox.Quad] | set[ox.Triple]:
    """What the export must hold, read from the store quad by quad (not through any serializer)."""
    with OxigraphStore(store, read_only=True) as opened:
        quads = set(opened.oxigraph.quads_for_pattern(None, None, None, None))
    if format_name in KEEPS_GRAPHS:
        return quads
    return {ox.Triple(quad.subject, quad.predicate, quad.object) for quad in quads}


def parsed(data: bytes, format_name: str) -> set[ox.Quad] | set[ox.Triple]:
    quads = ox.parse(data, format=NAME_TO_FORMAT[format_name])
    if format_name in KEEPS_GRAPHS:
        return set(quads)
    return {ox.Triple(quad.subject, quad.predicate, quad.object) for quad in quads}


@pytest.mark.parametrize("which", ["seeds_store", "generated_store"])
@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_export_holds_what_the_store_holds(request: pytest.FixtureRequest, which: str, format_name: str,
                                           tmp_path: Path) -> None:
    store: Path = request.getfixturevalue(which)
    output = tmp_path / f"out.{format_name}"
    result = CliRunner().invoke(cli, ["export", "--format", format_name, "--store", str(store), "-o", str(output)])
    assert result.exit_code == 0, result.output
    want = expected(store, format_name)
    assert len(want) > 1000
    assert parsed(output.read_bytes(), format_name) == want
    assert list(tmp_path.iterdir()) == [output]  # the partial file was renamed, nothing else left


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_stdout_gets_the_bytes_the_file_gets(seeds_store: Path, format_name: str, tmp_path: Path) -> None:
    runner = CliRunner()
    to_file = runner.invoke(cli, ["export", "--format", format_name, "--store", str(seeds_store),
                                  "-o", str(tmp_path / "out")])
    to_stdout = runner.invoke(cli, ["export", "--format", format_name, "--store", str(seeds_store)])
    assert to_file.exit_code == to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == (tmp_path / "out").read_bytes()


@pytest.mark.parametrize("format_name", ["nq", "trig"])
def test_dataset_export_is_oxigraphs_dump(generated_store: Path, format_name: str, tmp_path: Path) -> None:
    """The export is the store's own serializer's output, byte for byte (prefixes as before for TriG)."""
    from rolegraph.rdf.namespaces import PREFIXES

    result = CliRunner().invoke(cli, ["export", "--format", format_name, "--store", str(generated_store),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    prefixes = PREFIXES if format_name == "trig" else None
    dump = ox.Store.read_only(str(generated_store)).dump(format=NAME_TO_FORMAT[format_name], prefixes=prefixes)
    assert (tmp_path / "out").read_bytes() == dump


@pytest.mark.parametrize("format_name", ["turtle", "trig"])
def test_turtle_and_trig_keep_the_prefixes(seeds_store: Path, format_name: str) -> None:
    result = CliRunner().invoke(cli, ["export", "--format", format_name, "--store", str(seeds_store)])
    assert result.stdout_bytes.startswith(b"@prefix ") and b"@prefix rg: <https://w3id.org/rolegraph/ns#>" in (
        result.stdout_bytes)


def test_an_unwritable_output_is_one_line_and_leaves_nothing(seeds_store: Path, tmp_path: Path) -> None:
    output = tmp_path / "missing-folder" / "out.nq"
    result = CliRunner().invoke(cli, ["export", "--format", "nq", "--store", str(seeds_store), "-o", str(output)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"rolegraph: {output}: cannot write: ") and result.stderr.count("\n") == 1
    assert not (tmp_path / "missing-folder").exists()


def test_an_export_failing_midway_leaves_no_file(seeds_store: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole or not at all: what was written before the failure goes with the partial file."""
    real_export = OxigraphStore.export

    def export_then_fail(self: OxigraphStore, output: object, format_name: str) -> None:
        real_export(self, output, format_name)  # type: ignore[arg-type]
        raise StoreError(f"{self.location}: failed after writing")

    monkeypatch.setattr(OxigraphStore, "export", export_then_fail)
    output = tmp_path / "out.nq"
    result = CliRunner().invoke(cli, ["export", "--format", "nq", "--store", str(seeds_store), "-o", str(output)])
    assert result.exit_code == 2 and "failed after writing" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _remote_sending(quads: list[ox.Quad], held: int, monkeypatch: pytest.MonkeyPatch) -> RemoteStore:
    """A RemoteStore whose server sends ``quads`` and says it holds ``held`` (no server needed)."""
    remote = RemoteStore.__new__(RemoteStore)
    remote.location = "http://127.0.0.1:1"

    def sent(self: RemoteStore) -> Iterator[ox.Quad]:
        yield from quads

    monkeypatch.setattr(RemoteStore, "_dataset_quads", sent)
    monkeypatch.setattr(RemoteStore, "__len__", lambda self: held)
    return remote


@pytest.mark.parametrize("format_name", ["nq", "nt"])
def test_a_remote_export_streams_what_the_server_sends(format_name: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    graph = ox.NamedNode("https://example.org/g")
    quads = [ox.Quad(ox.NamedNode(f"https://example.org/s{n}"), ox.NamedNode("https://example.org/p"),
                     ox.Literal(str(n)), graph) for n in range(3)]
    _remote_sending(quads, 3, monkeypatch).export(tmp_path / "out", format_name)
    want = set(quads) if format_name == "nq" else {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
    assert parsed((tmp_path / "out").read_bytes(), format_name) == want


@pytest.mark.parametrize("format_name", ["nq", "nt"])
def test_a_server_sending_fewer_quads_than_it_holds_is_an_error(format_name: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    quad = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"), ox.Literal("o"),
                   ox.NamedNode("https://example.org/g"))
    with pytest.raises(StoreError, match="the server sent 1 of its 5 quads"):
        _remote_sending([quad], 5, monkeypatch).export(tmp_path / "out", format_name)


def test_export_of_an_in_memory_store_to_a_stream() -> None:
    """Store.export still takes a binary stream (the web app and tests pass BytesIO)."""
    import io

    store = open_store(None)
    store.import_data(b'<https://example.org/s> <https://example.org/p> "o" <https://example.org/g> .\n', "nq")
    out = io.BytesIO()
    store.export(out, "nt")
    assert out.getvalue() == b'<https://example.org/s> <https://example.org/p> "o" .\n'
