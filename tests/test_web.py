"""The web server over real HTTP (waitress on an ephemeral port): SPARQL protocol, limits, pages, linked data."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are used as arguments)

from __future__ import annotations

import csv
import io
import json
import socket
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from flask.testing import FlaskClient
from web_fixtures import XSS, XSS_CODE, XSS_TITLE, LiveServer, app, client, live_server, web_store  # noqa: F401

from rolegraph.errors import QueryError, QueryRejected
from rolegraph.lookup import class_details, find_class
from rolegraph.rdf.namespaces import PREFIXES
from rolegraph.store import open_store
from rolegraph.web.guard import MAX_DEPTH, inspect_query
from rolegraph.web.workers import QueryJob, QueryPool

SELECT_CODES = ("SELECT ?class ?code ?title WHERE { ?class a rg:JobClass ; schema:identifier ?code ; "
                "schema:name ?title }")
CONSTRUCT_1341 = 'CONSTRUCT { ?c schema:name ?t ; schema:identifier ?code } WHERE { ?c schema:identifier "1341" ; ' \
                 "schema:name ?t ; schema:identifier ?code }"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SPARQL_NS = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def expected(web_store: Path) -> dict[str, object]:
    """Answers read from the store directly, to compare the endpoint with."""
    store = open_store(web_store, read_only=True)
    try:
        rows = {(row["code"].value, row["title"].value) for row in store.query(SELECT_CODES)}
        triples = len(list(store.query("SELECT * WHERE { ?s ?p ?o }")))  # union: a triple once per graph
        distinct = len(list(store.query("SELECT DISTINCT * WHERE { ?s ?p ?o }")))
        ref = find_class(store, "1341")
        details = class_details(store, ref)
        graph = store.query(CONSTRUCT_1341)
        constructed = {(t.subject.value, t.predicate.value, t.object.value) for t in graph}
    finally:
        store.close()
    return {"rows": rows, "triples": triples, "distinct": distinct, "ref": ref, "details": details,
            "constructed": constructed}


def get(server: LiveServer, path: str, **kwargs: object) -> requests.Response:
    return requests.get(server.url + path, timeout=30, **kwargs)


def sparql(server: LiveServer, query: str, accept: str = "", **params: str) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return get(server, "/sparql", params={"query": query, **params}, headers=headers)


def wait_for(condition: object, seconds: float, what: str) -> None:
    """Return once ``condition()`` is true; fail saying ``what`` did not happen within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {seconds:g} s"
        time.sleep(0.02)


# -- the query guard ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o .SERVICE <http://e/> { ?s ?p ?o } }",
    "SELECT * WHERE { # a comment\n SERVICE ?endpoint { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://e/> { ?s ?p ?o } }",
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL", "DROP ALL", "CREATE GRAPH <http://g>", "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT * WHERE " + "{" * (MAX_DEPTH + 1) + "?s ?p ?o" + "}" * (MAX_DEPTH + 1),
    "PREFIX ex: <http://e/>",
], ids=lambda query: query[:40])
def test_guard_refuses(query: str) -> None:
    with pytest.raises(QueryRejected):
        inspect_query(query)


@pytest.mark.parametrize(("query", "form", "dataset"), [
    ('SELECT ?s WHERE { ?s schema:name "Customer Service Clerk" }', "SELECT", False),
    ("PREFIX service: <http://e/> SELECT ?service WHERE { ?service service:x <http://e/SERVICE> }", "SELECT", False),
    ("SELECT * WHERE { ?s ?p '''SERVICE <x> { }''' } # SERVICE", "SELECT", False),
    ("ASK FROM <http://g> { ?s ?p ?o }", "ASK", True),
    ("DESCRIBE <http://e/insert>", "DESCRIBE", False),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False),
])
def test_guard_reads_shape(query: str, form: str, dataset: bool) -> None:
    shape = inspect_query(query)
    assert (shape.form, shape.has_dataset) == (form, dataset)


# -- SPARQL protocol ---------------------------------------------------------------------------------------

def _rows_json(body: bytes) -> set[tuple[str, str]]:
    data = json.loads(body)
    return {(b["code"]["value"], b["title"]["value"]) for b in data["results"]["bindings"]}


def _rows_xml(body: bytes) -> set[tuple[str, str]]:
    rows = set()
    for result in ElementTree.fromstring(body).iter(f"{SPARQL_NS}result"):
        values = {b.get("name"): b[0].text for b in result.iter(f"{SPARQL_NS}binding")}
        rows.add((values["code"], values["title"]))
    return rows


def _rows_csv(body: bytes) -> set[tuple[str, str]]:
    return {(row["code"], row["title"]) for row in csv.DictReader(io.StringIO(body.decode("utf-8")))}


def _rows_tsv(body: bytes) -> set[tuple[str, str]]:
    lines = body.decode("utf-8").splitlines()
    assert lines[0].split("\t") == ["?class", "?code", "?title"]
    rows = set()
    for line in lines[1:]:
        _, code, title = line.split("\t")
        rows.add((ox.parse(f"<x:s> <x:p> {code} .".encode(), format=ox.RdfFormat.N_TRIPLES).__next__().object.value,
                  next(ox.parse(f"<x:s> <x:p> {title} .".encode(), format=ox.RdfFormat.N_TRIPLES)).object.value))
    return rows


@pytest.mark.parametrize(("accept", "reader"), [
    ("application/sparql-results+json", _rows_json), ("application/sparql-results+xml", _rows_xml),
    ("text/csv", _rows_csv), ("text/tab-separated-values", _rows_tsv)], ids=["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("method", ["get", "post-form", "post-direct"])
def test_select_every_method_and_format(live_server: LiveServer, expected: dict, accept: str, reader: object,
                                        method: str) -> None:
    url, headers = live_server.url + "/sparql", {"Accept": accept}
    if method == "get":
        response = requests.get(url, params={"query": SELECT_CODES}, headers=headers, timeout=30)
    elif method == "post-form":
        response = requests.post(url, data={"query": SELECT_CODES}, headers=headers, timeout=30)
    else:
        response = requests.post(url, data=SELECT_CODES.encode(), timeout=30,
                                 headers={**headers, "Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(accept)
    assert reader(response.content) == expected["rows"]  # type: ignore[operator]


@pytest.mark.parametrize(("fmt", "media"), [("json", "application/sparql-results+json"), ("csv", "text/csv"),
                                            ("xml", "application/sparql-results+xml")])
def test_format_parameter_wins(live_server: LiveServer, fmt: str, media: str) -> None:
    response = sparql(live_server, SELECT_CODES, accept="text/tab-separated-values", format=fmt)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(media)


@pytest.mark.parametrize(("accept", "rdf_format"), [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD), ("application/rdf+xml", ox.RdfFormat.RDF_XML)],
    ids=["turtle", "ntriples", "jsonld", "rdfxml"])
def test_construct_formats(live_server: LiveServer, expected: dict, accept: str, rdf_format: ox.RdfFormat) -> None:
    response = sparql(live_server, CONSTRUCT_1341, accept=accept)
    assert response.status_code == 200, response.text
    triples = {(t.subject.value, t.predicate.value, t.object.value)
               for t in ox.parse(response.content, format=rdf_format)}
    assert triples == expected["constructed"]


def test_ask_and_default_accept(live_server: LiveServer) -> None:
    yes = sparql(live_server, 'ASK { ?c schema:identifier "1341" }')
    no = sparql(live_server, 'ASK { ?c schema:identifier "no-such-code" }', accept="application/sparql-results+xml")
    assert yes.json() == {"head": {}, "boolean": True}
    assert ElementTree.fromstring(no.content).find(f"{SPARQL_NS}boolean").text == "false"


@pytest.mark.parametrize(("query", "params", "headers", "status", "reason"), [
    ("SELECT * WHERE { ?s ?p ", {}, {}, 400, "line 1, column 24"),
    ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }", {}, {}, 400, "line 3"),
    (SELECT_CODES, {}, {"Accept": "image/png"}, 406, "acceptable"),
    (CONSTRUCT_1341, {"format": "csv"}, {}, 406, "csv"),
    (SELECT_CODES + " ; " + SELECT_CODES, {}, {}, 400, "malformed"),
    (SELECT_CODES, {"default-graph-uri": "not an iri"}, {}, 400, "absolute IRI"),
    (SELECT_CODES, {"callback": "f"}, {}, 400, "JSONP"),
    (SELECT_CODES, {"infer": "true"}, {}, 400, "inference"),
    ("", {}, {}, 400, "empty"),
], ids=["syntax", "syntax-line", "accept", "format", "two-queries", "graph-uri", "jsonp", "infer", "empty"])
def test_bad_requests_get_a_plain_reason(live_server: LiveServer, query: str, params: dict, headers: dict,
                                         status: int, reason: str) -> None:
    response = get(live_server, "/sparql", params={"query": query, **params}, headers=headers)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("text/plain")
    assert reason in response.text


@pytest.mark.parametrize("params", [{"default-graph-uri": "https://w3id.org/rolegraph/id/graph/shared"},
                                    {"named-graph-uri": "https://w3id.org/rolegraph/id/graph/shared"},
                                    {"using-graph-uri": "https://w3id.org/rolegraph/id/graph/shared"},
                                    {"format": "json"}, {"output": "csv"}],
                         ids=lambda params: next(iter(params)))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_protocol_parameters_without_a_query_get_a_plain_400(live_server: LiveServer, params: dict,
                                                             method: str) -> None:
    """A client that lost its query gets a reason, not the query page (even when it says it accepts HTML)."""
    headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    response = requests.request(method, live_server.url + "/sparql", timeout=30, headers=headers,
                                **({"params": params} if method == "GET" else {"data": params}))
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.count("\n") == 1 and "<" not in response.text
    assert "no query" in response.text or "refuses" in response.text  # using-graph-uri: SPARQL Update's


def test_two_query_parameters(live_server: LiveServer) -> None:
    response = get(live_server, "/sparql", params=[("query", SELECT_CODES), ("query", SELECT_CODES)])
    assert response.status_code == 400 and "2 'query' parameters" in response.text


def _count(server: LiveServer) -> int:
    return int(sparql(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").json()
               ["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(("method", "kwargs"), [
    ("get", {"params": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}}),
    ("post", {"data": {"query": "INSERT DATA { GRAPH <http://g> { <http://a> <http://b> <http://c> } }"}}),
    ("post", {"data": {"update": "DROP ALL"}}),
    ("post", {"data": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}),
    ("post", {"data": b"DELETE WHERE { ?s ?p ?o }", "headers": {"Content-Type": "application/sparql-query"}}),
    ("get", {"params": {"update": "LOAD <http://example.org/>"}}),
], ids=["get-insert", "form-insert", "form-update", "direct-update", "direct-delete", "get-load"])
@pytest.mark.parametrize("path", ["/sparql", "/update", "/sparql/update"])
def test_updates_are_refused_and_change_nothing(live_server: LiveServer, method: str, kwargs: dict,
                                                path: str) -> None:
    before = _count(live_server)
    response = getattr(requests, method)(live_server.url + path, timeout=30, **kwargs)
    assert 400 <= response.status_code < 500
    assert "read-only" in response.text or "refused" in response.text
    assert _count(live_server) == before


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on loopback that records any connection made to it (see ``drained``)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(conn.recv(200))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/sparql", hits
    stop.set()
    thread.join(2)
    server.close()


SENTINEL = b"SENTINEL"


def drained(url: str, hits: list[bytes]) -> list[bytes]:
    """The connections the listener at ``url`` took before now: one of ours goes in last (connections are
    accepted in order), and once it is recorded, every earlier one is too."""
    port = int(url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sentinel:
        sentinel.sendall(SENTINEL)
        wait_for(lambda: SENTINEL in hits, 10, "the listener did not record our own connection")
    return [hit for hit in hits if hit != SENTINEL]


def test_nothing_makes_the_server_fetch_a_url(live_server: LiveServer, listener: tuple[str, list[bytes]]) -> None:
    url, hits = listener
    attempts = [
        sparql(live_server, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"),
        sparql(live_server, f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"),
        sparql(live_server, f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        sparql(live_server, "SELECT * WHERE { ?s ?p ?o }", **{"default-graph-uri": url, "named-graph-uri": url}),
        requests.post(live_server.url + "/sparql", data={"update": f"LOAD <{url}>"}, timeout=30),
    ]
    assert [response.status_code for response in attempts] == [400, 200, 200, 200, 400]
    assert "SERVICE" in attempts[0].text
    assert drained(url, hits) == []


def test_workers_have_no_network_even_past_the_guard(web_store: Path, listener: tuple[str, list[bytes]]) -> None:
    url, hits = listener
    pool = QueryPool(web_store, 1, 10.0, 100, 100_000)
    try:
        pool.start()
        if not pool.isolated:
            pytest.skip("this system gives processes no private network namespace; the guard alone refuses SERVICE")
        with pytest.raises(QueryError, match="query failed"):  # the worker cannot reach the URL
            pool.run(QueryJob(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "text/csv"))
    finally:
        pool.close()
    assert drained(url, hits) == []


def test_dataset_parameters_and_from(live_server: LiveServer, expected: dict) -> None:
    ref = expected["ref"]
    graph = ref.iri.replace("/id/class/", "/id/graph/class/")
    query = "SELECT DISTINCT ?code WHERE { ?c a rg:JobClass ; schema:identifier ?code }"
    scoped = sparql(live_server, query, **{"default-graph-uri": graph}).json()
    assert [b["code"]["value"] for b in scoped["results"]["bindings"]] == [ref.code]
    from_query = sparql(live_server, query.replace("WHERE", f"FROM <{graph}> WHERE")).json()
    assert [b["code"]["value"] for b in from_query["results"]["bindings"]] == [ref.code]
    named = sparql(live_server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                   **{"named-graph-uri": graph}).json()
    assert [b["g"]["value"] for b in named["results"]["bindings"]] == [graph]
    union = sparql(live_server, query).json()
    assert len(union["results"]["bindings"]) == len({code for code, _ in expected["rows"]})


def _idle(pool: QueryPool) -> int:
    """The pool's free workers (its ``idle`` count; before that property, the size of its idle queue)."""
    idle = getattr(pool, "idle", None)
    return idle if isinstance(idle, int) else pool._idle.qsize()  # type: ignore[attr-defined]


def test_slow_query_is_stopped_with_503_while_others_are_served(live_server: LiveServer) -> None:
    timeout = live_server.app.extensions["rolegraph"].settings.query_timeout
    slow: dict[str, object] = {}

    def run_slow() -> None:
        started = time.monotonic()
        slow["response"] = sparql(live_server, SLOW)
        slow["seconds"] = time.monotonic() - started

    pool = live_server.app.extensions["rolegraph"].pool
    wait_for(lambda: _idle(pool) == pool.size, 30, "the query workers were not all idle")
    thread = threading.Thread(target=run_slow)
    thread.start()
    wait_for(lambda: _idle(pool) < pool.size, 10, "the slow query never reached a worker")
    fast = [sparql(live_server, SELECT_CODES, accept="text/csv") for _ in range(5)]
    page = get(live_server, "/class/texas/city-of-el-paso/1341")
    assert thread.is_alive(), "the slow query finished too early to show anything"
    thread.join(timeout + 20)
    response = slow["response"]
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert "time limit" in response.text  # type: ignore[attr-defined]
    assert slow["seconds"] < timeout + 5  # type: ignore[operator]
    assert [r.status_code for r in fast] == [200] * 5 and page.status_code == 200
    wait_for(lambda: _idle(pool) == pool.size, 30, "the killed worker was not replaced")
    assert sparql(live_server, SELECT_CODES).status_code == 200


def test_result_over_the_row_cap_is_an_error_not_a_cut_body(live_server: LiveServer, expected: dict) -> None:
    assert expected["triples"] > live_server.app.extensions["rolegraph"].settings.result_limit
    response = sparql(live_server, "SELECT * WHERE { ?s ?p ?o }", accept="text/csv")
    assert response.status_code == 400 and "rows" in response.text


def test_big_body_gets_413(live_server: LiveServer) -> None:
    body = ("# padding\n" * 20_000 + SELECT_CODES).encode()
    response = requests.post(live_server.url + "/sparql", data=body, timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_oversized_headers_get_431(live_server: LiveServer) -> None:
    headers = {f"X-Padding-{number}": "y" * 8000 for number in range(8)}
    response = requests.get(live_server.url + "/sparql", params={"query": "ASK {}"}, headers=headers, timeout=30)
    assert response.status_code == 431
    assert requests.get(live_server.url + "/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200


def test_deep_nesting_is_refused(live_server: LiveServer) -> None:
    query = "SELECT * WHERE " + "{" * 2000 + "?s ?p ?o" + "}" * 2000
    response = requests.post(live_server.url + "/sparql", data={"query": query}, timeout=30)
    assert response.status_code == 400 and "deep" in response.text
    assert sparql(live_server, SELECT_CODES).status_code == 200


def test_cors(live_server: LiveServer) -> None:
    preflight = requests.options(live_server.url + "/sparql", timeout=30, headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = sparql(live_server, SELECT_CODES, headers={"Origin": "http://elsewhere.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    refused = sparql(live_server, "SELECT * WHERE { ?s ?p")
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


def test_service_description_and_void(live_server: LiveServer, expected: dict) -> None:
    response = get(live_server, "/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
    store = ox.Store()
    store.load(response.content, format=ox.RdfFormat.TURTLE, base_iri=live_server.url + "/sparql")
    sd, void = "http://www.w3.org/ns/sparql-service-description#", "http://rdfs.org/ns/void#"
    assert store.query(f"ASK {{ ?s a <{sd}Service> ; <{sd}endpoint> <{live_server.url}/sparql> }}")
    triples = store.query(f"SELECT ?n WHERE {{ ?d <{void}triples> ?n }}")
    assert [int(row["n"].value) for row in triples] == [expected["distinct"]]
    dump = store.query(f"SELECT ?dump WHERE {{ ?d <{void}dataDump> ?dump }}")
    dump_url = next(iter(dump))["dump"].value
    quads = list(ox.parse(requests.get(dump_url, timeout=30).content, format=ox.RdfFormat.N_QUADS))
    assert len({(q.subject, q.predicate, q.object) for q in quads}) == expected["distinct"]
    assert store.query(f"ASK {{ ?d <{void}classPartition> [ <{void}class> rg:JobClass ] }}", prefixes=PREFIXES)
    html = get(live_server, "/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert html.headers["Content-Type"].startswith("text/html") and "<textarea" in html.text


# -- real clients, unmodified ------------------------------------------------------------------------------

@pytest.mark.parametrize("return_format", ["json", "xml", "csv"])
def test_sparqlwrapper_select(live_server: LiveServer, expected: dict, return_format: str) -> None:
    sparqlwrapper = pytest.importorskip("SPARQLWrapper")
    client = sparqlwrapper.SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery(SELECT_CODES)
    client.setReturnFormat(return_format)
    result = client.query().convert()
    if return_format == "json":
        rows = {(b["code"]["value"], b["title"]["value"]) for b in result["results"]["bindings"]}
    elif return_format == "xml":
        rows = _rows_xml(result.toxml().encode())
    else:
        rows = _rows_csv(result)
    assert rows == expected["rows"]


def test_sparqlwrapper_construct_turtle_and_post(live_server: LiveServer, expected: dict) -> None:
    sparqlwrapper = pytest.importorskip("SPARQLWrapper")
    client = sparqlwrapper.SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery(CONSTRUCT_1341)
    client.setReturnFormat(sparqlwrapper.TURTLE)
    client.setMethod(sparqlwrapper.POST)
    body = client.query().convert()
    triples = {(t.subject.value, t.predicate.value, t.object.value)
               for t in ox.parse(body, format=ox.RdfFormat.TURTLE)}
    assert triples == expected["constructed"]


def test_rdflib_sparqlstore(live_server: LiveServer, expected: dict) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(live_server.url + "/sparql"))
    prologue = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
    rows = {(str(row.code), str(row.title)) for row in graph.query(prologue + SELECT_CODES)}
    assert rows == expected["rows"]
    count = next(iter(graph.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))
    assert int(count.n) == expected["triples"]


# -- pages -------------------------------------------------------------------------------------------------

def test_class_page_shows_every_duty_with_its_source_line(live_server: LiveServer, expected: dict) -> None:
    details = expected["details"]
    response = get(live_server, "/class/texas/city-of-el-paso/1341")
    assert response.status_code == 200
    text = response.text
    assert details.ref.title in text
    for duty, tasks in details.duties:
        assert f'{_escaped(duty.value)} <span class="where" title="source file and line">{duty.where}</span>' in text
        for task in tasks:
            assert task.where in text
    for fact in details.facts["knowledge"]:
        assert fact.where in text
    assert "Content-Security-Policy" in response.headers
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") \
        .replace("'", "&#39;")


def test_class_page_promotion_and_ladder_picture(live_server: LiveServer) -> None:
    steps = sparql(live_server, """SELECT ?to ?title WHERE { ?s a rg:PromotionStep ; rg:fromClass ?f ; rg:toClass ?to .
        ?f schema:identifier "1341" . ?to schema:name ?title }""").json()["results"]["bindings"]
    assert steps, "the ladder derived no promotion step from 1341 (the seeds hold one: 1341 -> 1343)"
    assert sparql(live_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s a rg:PromotionStep }").json()[
        "results"]["bindings"][0]["n"]["value"] == "2"  # the seeds' two: one derived, one explicit
    page = get(live_server, "/class/texas/city-of-el-paso/1341").text
    for step in steps:
        assert _escaped(step["title"]["value"]) in page
    assert "/ladder.svg?" in page
    ladder = get(live_server, "/ladder", params={"from": "1341", "to": steps[0]["to"]["value"]})
    assert ladder.status_code == 200 and "<img src=\"/ladder.svg?" in ladder.text
    picture = get(live_server, "/ladder.svg", params={"from": "1341", "to": steps[0]["to"]["value"]})
    assert picture.headers["Content-Type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(picture.content)
    texts = " ".join(node.text or "" for node in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "Customer Relations Clerk" in texts and steps[0]["title"]["value"][:20] in texts


def test_search_fuzzy_and_did_you_mean(live_server: LiveServer) -> None:
    found = get(live_server, "/search", params={"q": "custmer relations clerk"})
    assert "Best match" in found.text and "/class/texas/city-of-el-paso/1341" in found.text
    missing = get(live_server, "/search", params={"q": "astronaut"})
    assert "did you mean" in missing.text
    jump = requests.get(live_server.url + "/search", params={"q": "1341", "go": "1"}, allow_redirects=False,
                        timeout=30)
    assert jump.status_code == 302 and jump.headers["Location"].endswith("/class/texas/city-of-el-paso/1341")


@pytest.mark.parametrize("path", ["/", "/jurisdiction/texas/city-of-el-paso", "/ladder", "/query", "/ns",
                                  "/validation", "/api/classes", "/id/state/texas"])
def test_pages_load(live_server: LiveServer, path: str) -> None:
    response = get(live_server, path, headers={"Accept": "text/html"})
    assert response.status_code == 200


def test_overview_and_jurisdiction_list_classes(live_server: LiveServer, expected: dict) -> None:
    overview = get(live_server, "/").text
    for _code, title in expected["rows"]:
        assert _escaped(title) in overview
    place = get(live_server, "/jurisdiction/texas/city-of-el-paso").text
    assert "Customer Relations Clerk" in place and "Senior Customer Service Clerk" not in place


def test_skill_page_lists_classes_by_level(live_server: LiveServer) -> None:
    skills = sparql(live_server, """SELECT ?concept (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c rg:ksa/rg:concept ?concept }
        GROUP BY ?concept ORDER BY DESC(?n) LIMIT 1""").json()["results"]["bindings"]
    concept = skills[0]["concept"]["value"]
    page = get(live_server, "/skill/" + concept.split("/skill/", 1)[1])
    assert page.status_code == 200
    assert page.text.count('<a href="/class/') >= int(skills[0]["n"]["value"])


def test_validation_page_filters_by_severity(live_server: LiveServer) -> None:
    from rolegraph import validate

    store = open_store(live_server.app.extensions["rolegraph"].settings.store, read_only=True)
    try:
        counts = validate.validate_store(store).counts()
    finally:
        store.close()
    assert get(live_server, "/validation").status_code == 200  # starts the run, if no page did before
    assert live_server.app.extensions["rolegraph"].cache["validation-run"].wait(120), "validation never ended"
    shown = {}
    for severity in ("", "violation", "warning", "info"):
        page = get(live_server, "/validation", params={"severity": severity})
        assert page.status_code == 200
        shown[severity] = {name: page.text.count(f'<tr class="{name}">') for name in counts}
    assert shown[""] == counts
    for severity in counts:
        assert shown[severity] == {name: counts[name] if name == severity else 0 for name in counts}
    assert counts["violation"] >= 1  # 11360 states no jurisdiction (issue 5)
    page = get(live_server, "/class/texas/11360").text
    assert page.count('<li class="violation">') >= 1


def test_validation_runs_in_the_background_and_never_blocks_a_page(app: object, client: FlaskClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from rolegraph.web.validation_run import BackgroundValidation

    compute, entered, release = BackgroundValidation.compute, threading.Event(), threading.Event()

    def held(self: BackgroundValidation) -> object:
        entered.set()
        release.wait(30)  # a page waiting for the run would wait this long, then show findings: the test fails
        return compute(self)  # the real run (a child process validating the store)

    monkeypatch.setattr(BackgroundValidation, "compute", held)
    try:
        first = client.get("/class/texas/11360")
        assert entered.wait(30), "the first page visit did not start validation"
        pages = {"class": first, "validation": client.get("/validation"), "overview": client.get("/")}
        for name, page in pages.items():
            assert page.status_code == 200, name
            assert "Validation is running" in page.get_data(as_text=True), name
        assert '<meta http-equiv="refresh" content="5">' in pages["validation"].get_data(as_text=True)
        assert 'http-equiv="refresh"' not in pages["class"].get_data(as_text=True)
        assert not release.is_set()
    finally:
        release.set()
    run = app.extensions["rolegraph"].cache["validation-run"]  # type: ignore[attr-defined]
    assert run.wait(120), "validation never ended"
    assert run.state().error == ""
    done = client.get("/validation").get_data(as_text=True)
    assert "Validation last run at" in done and "over 6 classes" in done and "http-equiv" not in done
    assert '<tr class="violation">' in done and "does not say which city, county or agency" in done
    assert client.get("/class/texas/11360").get_data(as_text=True).count('<li class="violation">') == 1


def test_validation_that_fails_says_why(app: object, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from rolegraph.web.validation_run import BackgroundValidation

    def broken(self: BackgroundValidation) -> object:
        raise RuntimeError("rolegraph: the shapes\ncould not be read")

    monkeypatch.setattr(BackgroundValidation, "compute", broken)
    client.get("/")
    assert app.extensions["rolegraph"].cache["validation-run"].wait(30)  # type: ignore[attr-defined]
    page = client.get("/validation")
    assert page.status_code == 200
    assert "Validation failed" in page.get_data(as_text=True) and "the shapes could not be read" in page.get_data(
        as_text=True)


def test_query_page_runs_the_query_in_the_url(live_server: LiveServer, expected: dict) -> None:
    page = get(live_server, "/query", params={"query": SELECT_CODES})
    assert page.status_code == 200
    assert f'<p class="count" id="count">{len(expected["rows"])} rows</p>' in page.text
    assert 'href="/class/texas/city-of-el-paso/1341"' in page.text
    assert "format=csv" in page.text and "format=json" in page.text
    bad = get(live_server, "/query", params={"query": "SELECT * WHERE { ?s"})
    assert bad.status_code == 400 and 'class="error"' in bad.text


def test_not_found_pages(live_server: LiveServer) -> None:
    assert get(live_server, "/class/texas/nowhere/0000").status_code == 404
    assert get(live_server, "/ladder", params={"from": "no such class at all"}).status_code == 404
    assert get(live_server, "/id/nothing/here", headers={"Accept": "text/turtle"}).status_code == 404


# -- linked data ---------------------------------------------------------------------------------------------

def test_class_iri_resolves(live_server: LiveServer, expected: dict) -> None:
    ref = expected["ref"]
    path = "/id/" + ref.iri.split("/id/", 1)[1]
    browser = requests.get(live_server.url + path, headers={"Accept": "text/html"}, allow_redirects=False,
                           timeout=30)
    assert browser.status_code == 303 and browser.headers["Location"].endswith("/class/texas/city-of-el-paso/1341")
    rdf = get(live_server, path, headers={"Accept": "text/turtle"})
    assert rdf.status_code == 200 and "Accept" in rdf.headers["Vary"]
    triples = {(t.subject.value, t.predicate.value, t.object.value)
               for t in ox.parse(rdf.content, format=ox.RdfFormat.TURTLE)}
    assert (ref.iri, "https://schema.org/name", ref.title) in triples
    assert any(predicate.endswith("#lineStart") for _, predicate, _ in triples)


def test_iri_under_a_class_without_a_page_of_its_own_gets_the_resource_page(live_server: LiveServer) -> None:
    """A class's fact node (class/.../fact/jurisdiction) is no class: linked and resolved to its triples."""
    fact = "/id/class/texas/11360/fact/jurisdiction"
    state = get(live_server, "/id/state/texas", headers={"Accept": "text/html"}).text
    assert f'href="{fact}"' in state and 'href="/class/texas/11360/fact' not in state
    browser = requests.get(live_server.url + fact, headers={"Accept": "text/html"}, allow_redirects=False,
                           timeout=30)
    assert browser.status_code == 200 and "https://w3id.org/rolegraph/id/state/texas" in browser.text
    assert get(live_server, "/class/texas/11360/fact/jurisdiction").status_code == 404


def test_ontology_at_its_namespace(live_server: LiveServer) -> None:
    turtle = get(live_server, "/ns", headers={"Accept": "text/turtle"})
    graph = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    job_class = ox.NamedNode("https://w3id.org/rolegraph/ns#JobClass")
    assert any(t.subject == job_class for t in graph)
    html = get(live_server, "/ns", headers={"Accept": "text/html"}).text
    assert 'id="JobClass"' in html and 'id="PromotionStep"' in html


# -- a hostile title stays text ------------------------------------------------------------------------------

def test_script_in_a_title_renders_as_text_everywhere(live_server: LiveServer) -> None:
    found = sparql(live_server, f'SELECT ?c WHERE {{ ?c schema:identifier "{XSS_CODE}" }}').json()
    iri = found["results"]["bindings"][0]["c"]["value"]
    path = iri.split("/id/", 1)[1]
    responses = {
        "class": get(live_server, "/" + path),
        "overview": get(live_server, "/"),
        "search": get(live_server, "/search", params={"q": "script alert"}),
        "search-code": get(live_server, "/search", params={"q": XSS_CODE}),
        "query": get(live_server, "/query", params={"query": f'SELECT ?t WHERE {{ ?c schema:identifier "{XSS_CODE}" ; '
                                                             "schema:name ?t }"}),
        "ladder": get(live_server, "/ladder", params={"from": XSS_CODE}),
        "resource": get(live_server, "/id/" + path, headers={"Accept": "text/html"}),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert XSS not in response.text, name
    for name in ("class", "overview", "query", "ladder", "search"):
        assert _escaped(XSS_TITLE) in responses[name].text, name
    api = get(live_server, "/api/classes")  # JSON, not HTML: the title comes back as data, typed and unsniffable
    assert api.headers["Content-Type"] == "application/json" and api.headers["X-Content-Type-Options"] == "nosniff"
    assert XSS_TITLE in {entry["title"] for entry in api.json()}
    picture = get(live_server, "/ladder.svg", params={"from": XSS_CODE})
    assert XSS not in picture.text and "&lt;script&gt;" in picture.text
    ElementTree.fromstring(picture.content)  # well-formed
    assert "script-src" not in picture.headers["Content-Security-Policy"] or \
        "'none'" in picture.headers["Content-Security-Policy"]


def test_errors_never_echo_markup(client: FlaskClient) -> None:
    hostile = "<img src=x onerror=alert(2)>"
    response = client.get("/search", query_string={"q": hostile})
    assert hostile not in response.get_data(as_text=True)
    missing = client.get("/ladder", query_string={"from": hostile}, headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert hostile not in missing.get_data(as_text=True) and "&lt;img" in missing.get_data(as_text=True)


@pytest.mark.parametrize("name", ["guard", "results", "server", "sparql", "workers"])
def test_web_doctests(name: str) -> None:
    """rolegraph.web lives in its own directory, out of test_doctests' reach: its examples are run here."""
    import doctest
    import importlib

    module = importlib.import_module(f"rolegraph.web.{name}")
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failures == 0 and attempted > 0


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
@pytest.mark.parametrize("row", ["UNDEF", '"x"'])  # empty rows are the shortest: the cap must still count them
def test_row_cap_is_exact_in_every_format(media_type: str, row: str) -> None:
    from rolegraph.web.results import serialize_result

    store = ox.Store()

    def rows(count: int) -> object:
        return store.query(f"SELECT ?x WHERE {{ VALUES ?x {{ {' '.join([row] * count)} }} }}")

    for limit in (1, 7, 40):
        body = serialize_result(rows(limit), media_type, limit, 1_000_000)
        assert body.count(b"x") >= 1
        with pytest.raises(QueryRejected, match="rows"):
            serialize_result(rows(limit + 1), media_type, limit, 1_000_000)
    with pytest.raises(QueryRejected, match="bytes"):
        serialize_result(rows(1000), media_type, 5000, 600)


PROTOCOL_CASES = [  # (method, query string, body, headers): answers, refusals and errors of every kind
    ("GET", {"query": SELECT_CODES}, None, {"Accept": "application/sparql-results+json"}),
    ("GET", {"query": SELECT_CODES, "format": "csv"}, None, {}),
    ("GET", {"query": CONSTRUCT_1341}, None, {"Accept": "application/n-triples"}),
    ("GET", {"query": CONSTRUCT_1341}, None, {"Accept": "text/turtle;q=0.5, application/rdf+xml"}),
    ("GET", {"query": "ASK { ?s ?p ?o }"}, None, {}),
    ("POST", {}, {"query": SELECT_CODES}, {"Accept": "text/tab-separated-values"}),
    ("POST", {"output": "xml"}, {"query": SELECT_CODES}, {}),
    ("POST", {}, SELECT_CODES.encode(), {"Content-Type": "application/sparql-query", "Accept": "text/csv"}),
    ("GET", {"query": SELECT_CODES, "default-graph-uri": "https://w3id.org/rolegraph/id/graph/class/x"}, None, {}),
    ("GET", {"query": SELECT_CODES, "default-graph-uri": "not an iri"}, None, {}),
    ("GET", {"default-graph-uri": "https://w3id.org/rolegraph/id/graph/class/x"}, None, {"Accept": "text/html"}),
    ("GET", {"query": SELECT_CODES}, None, {"Accept": "text/html"}),
    ("GET", {"query": SELECT_CODES, "format": "pdf"}, None, {}),
    ("GET", {"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"}, None, {}),
    ("GET", {"query": "SELECT * WHERE { ?s ?p }"}, None, {}),
    ("GET", {"query": "  "}, None, {}),
    ("GET", {"query": [SELECT_CODES, SELECT_CODES]}, None, {}),
    ("GET", {"query": SELECT_CODES, "callback": "f"}, None, {}),
    ("POST", {}, {"update": "CLEAR ALL"}, {}),
    ("POST", {}, {"other": "x"}, {}),
    ("POST", {}, b"CLEAR ALL", {"Content-Type": "application/sparql-update"}),
    ("POST", {}, b"query", {"Content-Type": "text/plain"}),
    ("POST", {"query": SELECT_CODES}, SELECT_CODES.encode(), {"Content-Type": "application/sparql-query"}),
    ("POST", {}, {"query": "x" * 200_000}, {}),
    ("GET", {"query": "SELECT * { ?s ?p ?o }"}, None, {}),  # over the row cap
]


@pytest.mark.parametrize("method, args, body, headers", PROTOCOL_CASES)
def test_fast_path_answers_as_the_blueprint_does(app: object, method: str, args: dict, body: object,
                                                 headers: dict) -> None:
    """Queries skip Flask's dispatch (sparql.QueryFastPath): status, body and every header must stay the same."""
    from werkzeug.test import Client

    from rolegraph.web.sparql import QueryFastPath

    fast = app.wsgi_app  # type: ignore[attr-defined]
    assert isinstance(fast, QueryFastPath)
    answers = []
    for wsgi in (fast, fast.wsgi_app):  # the fast path, then the app behind it (Flask and the blueprint)
        kwargs = {"data": body} if body is not None else {}
        response = Client(wsgi).open("/sparql", method=method, query_string=args, headers=headers, **kwargs)
        answers.append((response.status, sorted(response.headers.items()), response.get_data()))
    assert answers[0] == answers[1]
    assert answers[0][0] != "404 NOT FOUND"


def test_fast_path_leaves_the_rest_to_flask(app: object) -> None:
    from werkzeug.test import Client

    fast = app.wsgi_app  # type: ignore[attr-defined]
    flask_wsgi, passed = fast.wsgi_app, []

    def behind(environ: dict, start_response: object) -> object:
        passed.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return flask_wsgi(environ, start_response)

    fast.wsgi_app = behind
    client = Client(fast)
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 200  # the description
    assert client.options("/sparql").status_code == 204
    assert client.get("/").status_code == 200
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    assert passed == ["GET /sparql", "OPTIONS /sparql", "GET /"]


# -- the command ---------------------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def test_rolegraph_serve_answers_and_stops_its_workers(web_store: Path) -> None:
    _serve_answers_and_stops_its_workers(str(web_store))


def test_rolegraph_serve_over_a_sparql_server(specs_dir: Path, tmp_path: Path) -> None:
    from sparql_servers import ServerMissing, start_oxigraph

    from rolegraph.pipeline import build
    from rolegraph.store import open_store

    try:
        server = start_oxigraph(tmp_path)
    except ServerMissing as missing:
        pytest.skip(str(missing))
    try:
        with open_store(server.url) as remote:
            build([specs_dir], remote)
        _serve_answers_and_stops_its_workers(server.url)
    finally:
        server.stop()


def _serve_answers_and_stops_its_workers(store: str) -> None:
    import signal
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "rolegraph.cli", "serve", "--store", store,
                                "--port", str(port), "--timeout", "5", "--threads", "4"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    answers: list[requests.Response] = []
    workers: list[int] = []

    def answered() -> bool:
        assert process.poll() is None, f"rolegraph serve stopped: {process.stdout.read().decode()}"
        try:
            answers.append(requests.post(f"http://127.0.0.1:{port}/sparql", headers={"Accept": "text/csv"},
                                         timeout=5, data={"query": "SELECT ?code { ?c schema:identifier ?code } "
                                                                   "ORDER BY ?code"}))
        except requests.ConnectionError:
            return False
        return True

    try:
        wait_for(answered, 60, "rolegraph serve did not answer")
        answer = answers[0]
        assert answer.status_code == 200 and answer.text.splitlines()[0] == "code"
        assert "1341" in answer.text.splitlines()
        workers = _children(process.pid)
        assert len(workers) >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    wait_for(lambda: not any(_alive(pid) for pid in workers), 30, "the query workers did not stop")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (an orphan waits for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_kept_plans_check_once_and_run_every_time(app: object) -> None:
    """A repeated GET reuses its checked plan (the parse, guard and negotiation), never an answer: the query
    goes to a worker every time, and a refused query is refused every time."""
    from werkzeug.test import Client

    from rolegraph.web.sparql import _plan_get

    fast = app.wsgi_app  # type: ignore[attr-defined]
    run, jobs = fast.pool.run, []
    fast.pool.run = lambda job: jobs.append(job) or run(job)
    client, hits = Client(fast), _plan_get.cache_info().hits
    answers = [client.get("/sparql", query_string={"query": SELECT_CODES}, headers={"Accept": "text/csv"})
               for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200] * 3 and len(jobs) == 3
    assert len({answer.get_data() for answer in answers}) == 1 and _plan_get.cache_info().hits >= hits + 2
    refused = {"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"}
    assert [client.get("/sparql", query_string=refused).status_code for _ in range(2)] == [400, 400]
    assert len(jobs) == 3


def test_jobs_and_answers_larger_than_a_socket_buffer_travel_whole(web_store: Path) -> None:
    """The server's end of a worker socket is non-blocking: a job or an answer that fills the socket's buffer
    waits for room (or for more bytes) and arrives whole, and a worker is reused after it."""
    pool = QueryPool(web_store, 1, 10.0, 100_000, 64_000_000)
    try:
        padding = "# " + "x" * 2_000_000 + "\n"  # a comment: the job is 2 MB, the query ASK
        assert pool.run(QueryJob(padding + "ASK {}", "text/csv")) == b"_askResult\r\ntrue\r\n"
        values = " ".join(f'"{"v" * 1000}{number}"' for number in range(1000))
        big = pool.run(QueryJob(f"SELECT ?v WHERE {{ VALUES ?v {{ {values} }} }}", "text/csv"))
        assert len(big) > 1_000_000 and big.count(b"\r\n") == 1001
        assert pool.run(QueryJob("ASK {}", "text/tab-separated-values")) == b"?_askResult\ntrue\n"
    finally:
        pool.close()
