"""The SPARQL endpoint over real HTTP: light queries answered while heavy ones hold the workers, heavy ones stopped
at the time limit with nothing left running, relative IRIs resolved against the endpoint's URL, and the loop's
own answers (keep-alive, pipelining, Connection: close) as waitress writes them."""
# ruff: noqa: F811  (pytest fixtures imported from web_fixtures are used as arguments)

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from web_fixtures import LiveServer, live_server, serve_live, web_store  # noqa: F401

from rolegraph.web.workers import QueryPool

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # N^3: runs for ever on any store
LIGHT = "ASK {}"


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.02)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def patient_server(web_store: Path) -> Iterator[LiveServer]:
    """Four workers and a 60 s time limit: a heavy query outlives any test that does not wait for it."""
    yield from serve_live(web_store, threads=4, query_timeout=60.0, query_workers=4)


@pytest.fixture
def strict_server(web_store: Path) -> Iterator[LiveServer]:
    """Two workers and a 2 s time limit: heavy queries end during the test."""
    yield from serve_live(web_store, threads=4, query_timeout=2.0, query_workers=2)


def _start_heavy(server: LiveServer, count: int) -> tuple[list[threading.Thread], list[requests.Response]]:
    answers: list[requests.Response] = []

    def heavy() -> None:
        try:
            answers.append(requests.get(server.url + "/sparql", params={"query": HEAVY}, timeout=120))
        except requests.RequestException:
            pass  # the server closed under it at the end of the test

    threads = [threading.Thread(target=heavy) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


def test_light_queries_answer_while_heavy_queries_hold_every_worker(patient_server: LiveServer) -> None:
    """Four heavy queries on four workers: three run on, the fourth waits for one of them (it was preempted, as
    the last worker is kept for queries that have run less than a moment), and light queries are answered, 28 at
    once, long before any heavy query could end (its time limit is 60 s)."""
    pool: QueryPool = patient_server.app.extensions["rolegraph"].pool
    heavy, answers = _start_heavy(patient_server, 4)
    wait_for(lambda: pool.load().long == pool.size - 1 and pool.load().waiting == 1, 30,
             f"the heavy queries did not take the workers: {pool.load()}")
    first = requests.get(patient_server.url + "/sparql", params={"query": LIGHT}, timeout=30)
    assert first.status_code == 200 and first.json()["boolean"] is True
    light: list[int] = []
    lights = [threading.Thread(target=lambda: light.append(requests.get(
        patient_server.url + "/sparql", params={"query": LIGHT}, timeout=30).status_code)) for _ in range(28)]
    for thread in lights:
        thread.start()
    for thread in lights:
        thread.join(40)
    assert light == [200] * 28
    assert all(thread.is_alive() for thread in heavy) and not answers, "a heavy query ended: the light ones " \
        "may have waited for it"
    assert pool.load().long == pool.size - 1  # the heavy queries still hold their workers
    workers = pool.worker_pids()
    patient_server.app.extensions["rolegraph"].close()
    for thread in heavy:
        thread.join(30)
    assert [answer.status_code for answer in answers] == [503] * len(answers)
    wait_for(lambda: all(_gone(pid) for pid in workers), 10, "a query worker outlived the pool")


def test_heavy_queries_end_at_the_time_limit_and_leave_nothing_running(strict_server: LiveServer) -> None:
    """Heavy queries past the time limit get 503 and their workers are killed and replaced: as many workers
    run after as before, none of the killed ones is left, and light queries were answered meanwhile."""
    pool: QueryPool = strict_server.app.extensions["rolegraph"].pool
    before = set(pool.worker_pids())
    heavy, answers = _start_heavy(strict_server, 2)
    wait_for(lambda: pool.load().long == 1 and pool.load().waiting == 1, 10,
             f"the heavy queries did not take the workers: {pool.load()}")
    light = requests.get(strict_server.url + "/sparql", params={"query": LIGHT}, timeout=30)
    for thread in heavy:
        thread.join(30)
    assert light.status_code == 200
    assert [answer.status_code for answer in answers] == [503, 503]
    reasons = sorted(answer.text for answer in answers)
    assert "ran long while 1 other" in reasons[0] and "time limit of 2 s" in reasons[1]
    wait_for(lambda: pool.idle == pool.size, 30, "the killed worker was not replaced")
    after = set(pool.worker_pids())
    assert len(after) == pool.size and before - after, "no worker was killed"
    wait_for(lambda: all(_gone(pid) for pid in before - after), 10, "a killed worker is still running")
    assert requests.get(strict_server.url + "/sparql", params={"query": LIGHT}, timeout=30).status_code == 200


# -- relative IRIs -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST form", "POST direct"])
def test_relative_iris_resolve_against_the_endpoint(live_server: LiveServer, method: str) -> None:
    endpoint = live_server.url + "/sparql"

    def ask(query: str, accept: str) -> requests.Response:
        headers = {"Accept": accept}
        if method == "GET":
            return requests.get(endpoint, params={"query": query}, headers=headers, timeout=30)
        if method == "POST form":
            return requests.post(endpoint, data={"query": query}, headers=headers, timeout=30)
        return requests.post(endpoint, data=query.encode(), timeout=30,
                             headers={**headers, "Content-Type": "application/sparql-query"})

    constructed = ask("CONSTRUCT { <s> <p> 1 } WHERE {}", "application/n-triples")
    assert constructed.status_code == 200, constructed.text
    triples = list(ox.parse(constructed.content, format=ox.RdfFormat.N_TRIPLES))
    assert [(t.subject.value, t.predicate.value, t.object.value) for t in triples] == [
        (live_server.url + "/s", live_server.url + "/p", "1")]
    is_iri = ask("ASK { BIND(<test> AS ?o) FILTER(isIRI(?o)) }", "application/sparql-results+json")
    assert is_iri.status_code == 200 and is_iri.json()["boolean"] is True, is_iri.text
    own_base = ask("BASE <http://example.org/a/> SELECT ?o WHERE { BIND(<b> AS ?o) }", "text/csv")
    assert own_base.text.splitlines() == ["o", "http://example.org/a/b"]


# -- the loop's own answers --------------------------------------------------------------------------------

def _exchange(url: str, raw: bytes, responses: int) -> tuple[list[bytes], bool]:
    """Send raw bytes on one connection; the responses read (by Content-Length), and whether the server closed
    the connection after them."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(raw)
        data, got = b"", []
        while len(got) < responses:
            chunk = conn.recv(65536)
            assert chunk, f"the server closed after {len(got)} responses"
            data += chunk
            while b"\r\n\r\n" in data:
                head, rest = data.split(b"\r\n\r\n", 1)
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length:")))
                if len(rest) < length:
                    break
                got.append(head + b"\r\n\r\n" + rest[:length])
                data = rest[length:]
        conn.settimeout(5)
        try:
            closed = conn.recv(1) == b""
        except TimeoutError:
            closed = False
    return got, closed


def _get(query: str, version: str = "1.1", headers: str = "") -> bytes:
    from urllib.parse import quote

    return f"GET /sparql?query={quote(query)} HTTP/{version}\r\nHost: x\r\n{headers}\r\n".encode()


def test_pipelined_queries_are_answered_in_order_and_the_connection_kept(live_server: LiveServer) -> None:
    raw = _get("ASK { FILTER(false) }", headers="Accept: text/csv\r\n") + _get("ASK {}", headers="Accept: text/csv\r\n")
    (first, second), closed = _exchange(live_server.url, raw, 2)
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"_askResult\r\nfalse\r\n")
    assert second.startswith(b"HTTP/1.1 200 OK\r\n") and second.endswith(b"_askResult\r\ntrue\r\n")
    assert b"\r\nServer: rolegraph\r\n" in first and b"\r\nDate: " in first and not closed


@pytest.mark.parametrize(("version", "headers", "closes"), [
    ("1.1", "Connection: close\r\n", True), ("1.0", "", True), ("1.0", "Connection: keep-alive\r\n", False)])
def test_connection_closes_as_http_says(live_server: LiveServer, version: str, headers: str, closes: bool) -> None:
    (response,), closed = _exchange(live_server.url, _get(LIGHT, version, headers), 1)
    assert response.startswith(f"HTTP/{version} 200 OK\r\n".encode())
    assert closed is closes
    assert (b"\r\nConnection: Keep-Alive\r\n" in response) is (version == "1.0" and not closes)


def test_a_refused_query_and_a_query_page_still_answer(live_server: LiveServer) -> None:
    """What the loop does not answer itself (a refused query, the service description) goes to a thread."""
    refused = requests.get(live_server.url + "/sparql", params={"query": "SELECT * WHERE { ?s ?p"}, timeout=30)
    assert refused.status_code == 400 and "line 1" in refused.text
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    description = requests.get(live_server.url + "/sparql", headers={"Accept": "text/turtle"}, timeout=30)
    assert description.status_code == 200 and description.headers["Content-Type"].startswith("text/turtle")
