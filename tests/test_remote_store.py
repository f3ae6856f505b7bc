"""The same store behaviours over the embedded store, `oxigraph serve` and Virtuoso: identical answers.

Each server is started once per session on a free 127.0.0.1 port (tests/sparql_servers.py) and stopped
after; a backend whose program is missing is skipped with the reason. Answers are compared with the
embedded store's (``built_seeds``), so a difference shows as a failed test on that backend.
"""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from sparql_servers import Server, ServerMissing, free_port, start_oxigraph, start_virtuoso

from rolegraph import ladders, validate
from rolegraph.cli import cli
from rolegraph.errors import QueryError, QueryTimeout, StoreError
from rolegraph.lookup import class_details, find_class
from rolegraph.pipeline import build
from rolegraph.store import Store, open_store
from rolegraph.store.remote import RemoteStore

ROOT = Path(__file__).resolve().parent.parent
QUERIES = sorted((ROOT / "examples" / "queries").glob("*.rq"))
BACKENDS = ["embedded", "oxigraph", "virtuoso"]
LADDERS = "https://w3id.org/rolegraph/id/graph/ladders"
SHARED = "https://w3id.org/rolegraph/id/graph/shared"
# A query over everything also sees a server's own graphs (Virtuoso's virtrdf#): count only rolegraph's.
OURS = 'FILTER(STRSTARTS(STR(?{}), "https://w3id.org/rolegraph/"))'


# -- servers and backends ------------------------------------------------------------------------


def _server(start, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        server = start(tmp_path_factory.mktemp(start.__name__))
    except ServerMissing as missing:
        pytest.skip(str(missing))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server(start_oxigraph, tmp_path_factory)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _server(start_virtuoso, tmp_path_factory)


class Backend:
    """One kind of store the tests run over: opens it, and empties it between tests."""

    def __init__(self, name: str, location: str | Path, environ: dict[str, str]) -> None:
        self.name, self.location, self.environ = name, location, environ

    def open(self, read_only: bool = False) -> Store:
        if isinstance(self.location, Path):
            return open_store(self.location, read_only=read_only)
        return RemoteStore(self.location, read_only=read_only, environ=self.environ)

    def clear(self) -> None:
        if isinstance(self.location, Path):
            shutil.rmtree(self.location, ignore_errors=True)
            return
        with self.open() as store:  # the server's own graphs stay; rolegraph's go
            for graph in store._graphs():
                store._update(f"DROP SILENT GRAPH <{graph}>", "clear the test store")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    if request.param == "embedded":
        return Backend("embedded", tmp_path_factory.mktemp("embedded") / "store", {})
    server: Server = request.getfixturevalue(f"{request.param}_server")
    return Backend(request.param, server.url, server.environ)


@pytest.fixture
def empty(backend: Backend) -> Iterator[Store]:
    """The backend's store, emptied."""
    backend.clear()
    store = backend.open()
    yield store
    store.close()


@pytest.fixture
def seeded(backend: Backend, built_seeds, specs_dir: Path) -> Iterator[Store]:
    """The backend's store holding the five seeds (built again only when it holds something else)."""
    expected, _ = built_seeds
    store = backend.open()
    if store.class_graph_hashes() != expected.class_graph_hashes() or len(store) != len(expected):
        store.close()
        backend.clear()
        store = backend.open()
        build([specs_dir], store)
    yield store
    store.close()


def nquads(store: Store) -> list[bytes]:
    output = io.BytesIO()
    store.export(output, "nq")
    return sorted(output.getvalue().splitlines())


def rows(result: object) -> list[tuple[str, ...]]:
    if isinstance(result, ox.QueryBoolean):
        return [(str(bool(result)),)]
    if isinstance(result, ox.QueryTriples):
        return sorted((str(t.subject), str(t.predicate), str(t.object)) for t in result)
    names = [variable.value for variable in result.variables]  # type: ignore[attr-defined]
    return [tuple(str(solution[name]) for name in names) for solution in result]  # type: ignore[attr-defined]


# -- identical answers ---------------------------------------------------------------------------


def test_build_writes_the_same_graphs(empty: Store, built_seeds, specs_dir: Path) -> None:
    expected, expected_summary = built_seeds
    summary = build([specs_dir], empty)
    assert len(summary.written.written) == 5 and summary.written.unchanged == []
    assert summary.written.triples == expected_summary.written.triples
    assert empty.class_graph_hashes() == expected.class_graph_hashes()
    assert len(empty) == len(expected)
    assert nquads(empty) == nquads(expected)


@pytest.mark.parametrize("query_file", QUERIES, ids=lambda path: path.name)
def test_example_queries_give_the_same_rows(seeded: Store, built_seeds, query_file: Path) -> None:
    expected, _ = built_seeds
    query = query_file.read_text(encoding="utf-8")
    got, want = rows(seeded.query(query)), rows(expected.query(query))
    if "ORDER BY" not in query:
        got, want = sorted(got), sorted(want)
    assert want and got == want


@pytest.mark.parametrize("query", [
    "ASK { ?c schema:identifier '1341' }",
    "ASK { ?c schema:identifier 'nope' }",
    "CONSTRUCT { ?c schema:name ?n } WHERE { ?c a rg:JobClass ; schema:name ?n }",
    f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o {OURS.format('s')} }}",
    f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {OURS.format('g')} }} GROUP BY ?g ORDER BY ?g",
    "SELECT ?c ?stub ?t WHERE { ?c rg:stub ?stub . BIND(true AS ?t) BIND(IF(?stub, 'yes', 'no') AS ?y) }",
    "SELECT ?x WHERE { ?c rg:stub true . BIND(false AS ?x) }",
    "SELECT ?months WHERE { ?e schema:monthsOfExperience ?months } ORDER BY ?months",
], ids=["ask-true", "ask-false", "construct", "count-union", "count-graphs", "booleans",
        "boolean-pattern", "decimals"])
def test_query_forms_give_the_same_answers(seeded: Store, built_seeds, query: str) -> None:
    expected, _ = built_seeds
    got, want = rows(seeded.query(query)), rows(expected.query(query))
    assert got == want
    assert type(seeded.query(query)) is type(expected.query(query))


def test_describe_gives_at_least_the_embedded_description(seeded: Store, built_seeds) -> None:
    """What DESCRIBE returns is up to the server (SPARQL 1.1, 16.4); Virtuoso adds the triples naming it."""
    expected, _ = built_seeds
    query = "DESCRIBE <https://w3id.org/rolegraph/id/class/texas/city-of-el-paso/1341>"
    got, want = rows(seeded.query(query)), rows(expected.query(query))
    assert isinstance(seeded.query(query), ox.QueryTriples)
    assert len(want) > 20 and set(want) <= set(got)


def test_a_dataset_given_with_the_query_is_used(seeded: Store, built_seeds) -> None:
    expected, _ = built_seeds
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for dataset in ({"default_graph": [SHARED]}, {"default_graph": [SHARED, LADDERS]}, {"default_graph": []}):
        assert rows(seeded.query(query, **dataset)) == rows(expected.query(query, **dataset)), dataset
    named = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    assert rows(seeded.query(named, named_graphs=[SHARED])) == [(f"<{SHARED}>",)]


def test_a_malformed_query_reads_as_on_the_embedded_store(seeded: Store, built_seeds) -> None:
    expected, _ = built_seeds
    for query in ("SELECT * WHERE { ?s ?p ", "INSERT DATA { <a:b> <a:c> <a:d> }", "ASK { ?s ?p }"):
        with pytest.raises(QueryError) as want:
            expected.query(query)
        with pytest.raises(QueryError) as got:
            seeded.query(query)
        assert str(got.value) == str(want.value)


def test_class_lookup_reads_the_same(seeded: Store, built_seeds) -> None:
    expected, _ = built_seeds
    for name in ("1341", "Customer Relations Clerk", "customer relation clerk", "11360", "885.2",
                 "Customer Service Clerk"):
        ref = find_class(seeded, name)
        assert ref == find_class(expected, name)
        assert _ordered(class_details(seeded, ref)) == _ordered(class_details(expected, ref))


def _ordered(details: object) -> object:
    """class_details sorts facts by property and line; facts on the same line come in the server's order."""
    details.facts = {key: sorted(facts, key=repr) for key, facts in details.facts.items()}  # type: ignore[attr-defined]
    return details


def test_ladder_paths_read_the_same(seeded: Store, built_seeds) -> None:
    expected, _ = built_seeds
    for name in ("Customer Relations Clerk", "Customer Service Clerk"):
        assert ladders.paths(seeded, name).to_dict() == ladders.paths(expected, name).to_dict()


def test_validation_finds_the_same(seeded: Store, built_seeds) -> None:
    expected, _ = built_seeds
    got, want = validate.validate_store(seeded), validate.validate_store(expected)
    assert validate.write_report(got, "json") == validate.write_report(want, "json")


@pytest.mark.parametrize("format_name", ["turtle", "trig", "nt", "nq", "jsonld", "xml"])
def test_every_export_format_is_the_same(seeded: Store, built_seeds, format_name: str) -> None:
    expected, _ = built_seeds
    got, want = io.BytesIO(), io.BytesIO()
    seeded.export(got, format_name)
    expected.export(want, format_name)
    if format_name in ("nt", "nq"):
        assert sorted(got.getvalue().splitlines()) == sorted(want.getvalue().splitlines())
    else:
        rdf_format = {"turtle": "turtle", "trig": "trig", "jsonld": "json-ld", "xml": "xml"}[format_name]
        import rdflib

        graphs = [rdflib.Dataset().parse(data=out.getvalue(), format=rdf_format) for out in (got, want)]
        assert len(graphs[0]) == len(graphs[1]) > 1500


# -- writing ---------------------------------------------------------------------------------------


def test_rebuilding_the_same_inputs_rewrites_nothing(empty: Store, specs_dir: Path) -> None:
    build([specs_dir], empty)
    before = nquads(empty)
    again = build([specs_dir], empty)
    assert again.written.written == [] and len(again.written.unchanged) == 5
    assert nquads(empty) == before


def test_a_changed_spec_replaces_only_its_class_graph(empty: Store, specs_dir: Path, tmp_path: Path) -> None:
    specs = shutil.copytree(specs_dir, tmp_path / "specs")
    build([specs], empty)
    hashes = empty.class_graph_hashes()
    spec = specs / "002_a5126ba24733d61e.txt"
    spec.write_text(spec.read_text(encoding="utf-8").replace("four (4) years", "five (5) years"), encoding="utf-8")
    summary = build([specs], empty)
    assert [name.rsplit("/", 1)[-1] for name in summary.written.written] == ["1343"]
    changed = {name for name, value in empty.class_graph_hashes().items() if hashes.get(name) != value}
    assert {name.rsplit("/", 1)[-1] for name in changed} == {"1343"}
    [row] = list(empty.query(
        'SELECT ?m WHERE { ?c schema:identifier "1343" ; schema:experienceRequirements/schema:monthsOfExperience ?m }'))
    assert row["m"].value == "60"
    fresh = open_store(None)
    build([specs], fresh)
    assert nquads(empty) == nquads(fresh)


def test_a_spec_whose_code_changes_leaves_no_stale_graph(empty: Store, specs_dir: Path, tmp_path: Path) -> None:
    specs = shutil.copytree(specs_dir, tmp_path / "specs")
    build([specs], empty)
    spec = specs / "004_7bca78953392f148.txt"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Code 11360", "Code 11361"), encoding="utf-8")
    summary = build([specs], empty)
    assert [name.rsplit("/", 1)[-1] for name in summary.written.removed] == ["11360"]
    query = "SELECT ?code WHERE { ?c a rg:JobClass ; schema:identifier ?code }"
    codes = {row["code"].value for row in empty.query(query)}
    assert codes == {"1341", "1343", "885.2", "11361"}


def test_the_shared_graph_is_added_to_not_replaced(empty: Store, specs_dir: Path, tmp_path: Path) -> None:
    halves = [tmp_path / "a", tmp_path / "b"]
    for number, spec in enumerate(sorted(specs_dir.iterdir())):
        halves[number % 2].mkdir(exist_ok=True)
        shutil.copy(spec, halves[number % 2])
    shared = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{SHARED}> {{ ?s ?p ?o }} }}"
    alone = []
    for half in halves:
        build([half], empty)
        fresh = open_store(None)
        build([half], fresh)
        alone.append(set(rows(fresh.query(shared))))
    assert alone[0] - alone[1] and alone[1] - alone[0]  # each half brings triples of its own
    assert sorted(rows(empty.query(shared))) == sorted(alone[0] | alone[1])


def test_replace_graph_replaces_and_empties(empty: Store) -> None:
    step = ox.NamedNode("https://w3id.org/rolegraph/id/ladder/step/x")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    ladder_graph = ox.NamedNode(LADDERS)
    fresh = open_store(None)
    for contents in (["one", "two"], ["three – é"], ["three – é"], []):
        for store in (empty, fresh):
            store.replace_graph(LADDERS, [ox.Quad(step, label, ox.Literal(text), ladder_graph) for text in contents])
        assert nquads(empty) == nquads(fresh)
        labels = f"SELECT ?l WHERE {{ GRAPH <{LADDERS}> {{ ?s rdfs:label ?l }} }} ORDER BY ?l"
        assert rows(empty.query(labels)) == [(f'"{text}"',) for text in contents]


def test_export_import_round_trip(empty: Store, built_seeds) -> None:
    expected, _ = built_seeds
    exported = io.BytesIO()
    expected.export(exported, "nq")
    assert empty.import_data(exported.getvalue(), "nq") == len(expected)
    assert nquads(empty) == sorted(exported.getvalue().splitlines())
    with pytest.raises(StoreError, match="keeps named graphs"):
        empty.import_data(b"", "nt")


def test_a_read_only_store_refuses_writes(backend: Backend, specs_dir: Path) -> None:
    backend.clear()
    backend.open().close()
    with backend.open(read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        build([specs_dir], store)


# -- opening a server: URLs, endpoints, credentials ---------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://127.0.0.1/x", "not a ftp URL"),
    ("http://", "names no host"),
    ("http://127.0.0.1:99999", "port is not a number"),
    ("http://127.0.0.1:7878/?x=1", "query or fragment"),
    ("http://joe:s3cret@127.0.0.1:7878", "not in the URL"),
])
def test_a_malformed_url_is_one_line_naming_it(url: str, reason: str) -> None:
    with pytest.raises(StoreError, match=reason) as error:
        open_store(url)
    assert "\n" not in str(error.value) and "s3cret" not in str(error.value)


def test_an_unreachable_server_is_one_line() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match="cannot reach the SPARQL server") as error:
        open_store(url)
    assert str(error.value).startswith(url)


def test_the_cli_takes_a_url(oxigraph_server: Server, specs_dir: Path, tmp_path: Path) -> None:
    Backend("oxigraph", oxigraph_server.url, {}).clear()
    runner = CliRunner()
    built = runner.invoke(cli, ["build", str(specs_dir), "--store", oxigraph_server.url])
    assert built.exit_code == 0, built.output
    assert "class graphs written" in built.output
    local = tmp_path / "store"
    assert runner.invoke(cli, ["build", str(specs_dir), "--store", str(local)]).exit_code == 0
    for command in (["show", "1341"], ["query", "@" + str(QUERIES[0]), "--format", "csv"],
                    ["ladder", "Customer Relations Clerk"], ["validate", "--format", "json"]):
        remote = runner.invoke(cli, [*command, "--store", oxigraph_server.url])
        embedded = runner.invoke(cli, [*command, "--store", str(local)])
        assert remote.exit_code == embedded.exit_code != 2, remote.output
        assert remote.output == embedded.output


@pytest.mark.parametrize("url", ["htp://127.0.0.1:7878", "http://127.0.0.1:1", "http://"])
def test_the_cli_reports_a_bad_url_in_one_line(url: str) -> None:
    result = CliRunner().invoke(cli, ["show", "1341", "--store", url])
    assert result.exit_code == 2
    assert result.output.startswith("rolegraph: ") and result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_endpoints_can_be_set_one_by_one(oxigraph_server: Server, seeded_oxigraph: None) -> None:
    url = oxigraph_server.url
    environ = {"ROLEGRAPH_SERVER": "oxigraph", "ROLEGRAPH_QUERY_URL": f"{url}/query",
               "ROLEGRAPH_UPDATE_URL": f"{url}/update", "ROLEGRAPH_GSP_URL": f"{url}/store"}
    with RemoteStore("http://127.0.0.1:1/elsewhere", environ=environ) as store:
        assert len(store.class_graph_hashes()) == 5
    environ["ROLEGRAPH_QUERY_URL"] = f"{url}/nothing-here"
    with pytest.raises(StoreError, match="HTTP 404"):
        RemoteStore(url, environ=environ)
    with pytest.raises(StoreError, match="not a server rolegraph knows"):
        RemoteStore(url, environ={"ROLEGRAPH_SERVER": "blazegraph"})
    with RemoteStore(f"{url}/query", environ={}) as store:  # the query endpoint names the server too
        assert len(store.class_graph_hashes()) == 5


@pytest.fixture
def seeded_oxigraph(oxigraph_server: Server, built_seeds, specs_dir: Path) -> None:
    backend = Backend("oxigraph", oxigraph_server.url, {})
    backend.clear()
    with backend.open() as store:
        build([specs_dir], store)


def test_a_query_past_its_time_limit_is_a_query_timeout() -> None:
    answer = threading.Event()  # the server answers a SELECT only once the client has given up

    class SlowOxigraph(BaseHTTPRequestHandler):
        server_version = "Oxigraph/0-test"

        def do_HEAD(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if b"SELECT" in body:
                answer.wait(30)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head": {}, "boolean": true}')

        def log_message(self, *args: object) -> None:
            pass

    with _serving(SlowOxigraph) as url, RemoteStore(url, timeout=0.3, environ={}) as store:
        try:
            with pytest.raises(QueryTimeout, match=r"ran past its time limit \(0.3 s\)"):
                store.query("SELECT * WHERE { ?s ?p ?o }")
        finally:
            answer.set()


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_unknown_server_needs_to_be_named() -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with _serving(Handler) as url, pytest.raises(StoreError, match="cannot tell which SPARQL server this is"):
        RemoteStore(url, environ={})


def test_virtuoso_credentials_come_from_the_environment_or_netrc(virtuoso_server: Server, tmp_path: Path,
                                                                 specs_dir: Path) -> None:
    url = virtuoso_server.url
    Backend("virtuoso", url, virtuoso_server.environ).clear()
    with RemoteStore(url, environ={}) as anonymous, pytest.raises(StoreError, match="not allowed|credentials"):
        build([specs_dir], anonymous)
    wrong = {"ROLEGRAPH_USER": "dba", "ROLEGRAPH_PASSWORD": "not-the-password"}
    with pytest.raises(StoreError, match="ROLEGRAPH_USER/ROLEGRAPH_PASSWORD or netrc were refused") as error:
        RemoteStore(url, environ=wrong)
    assert "not-the-password" not in str(error.value)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login dba password dba\n", encoding="utf-8")
    netrc.chmod(0o600)
    with RemoteStore(url, environ={"NETRC": str(netrc)}) as store:
        assert len(build([specs_dir], store).written.written) == 5
