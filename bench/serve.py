"""Serving benchmark: point lookups over HTTP against rolegraph serve, Oxigraph's server and Flask + rdflib.

    python bench/serve.py [--classes 10000] [--seconds 10] [--clients 4] [--lookup-classes 1000] [--rounds 1]
                          [--threads N] [--oxigraph-timeout S] [--load-seconds 20] [--keep DIR]

All three servers run on loopback, one at a time, on the same generated store (Oxigraph's read-only server
opens rolegraph's store directory itself; the rdflib endpoint loads the class graphs of the looked-up
classes plus the shared graphs, as N-Quads: rdflib could not load all of them in its time budget). The
client is the same for all: --clients threads with keep-alive connections, each sending point lookups
(one job class by code) for --seconds. Every request asks for a different class than the one before: the
codes are --lookup-classes real codes drawn at random from the store, and client number i walks them in
the pseudo-random order of ``random.Random(i)``, so every server answers the same sequence of queries
and no server can answer from a cache of the last one. Printed per server: requests, errors, p50/p99 latency,
throughput, and the server's CPU time per request (read from /proc: the server process, and for rolegraph its
query workers apart), then the ratios against the baselines measured in the same run. Throughput counts
correct answers only (a 200 with at least one row): an error costs time but is not an answer. With --rounds N
the servers take turns N times and the median ratios are printed too (the machine's other load moves single
runs a lot).

Oxigraph's server runs without ``--timeout-s``: with it, each query starts a thread that lives as long as
the timeout, and at a few thousand queries a second the server runs out of threads. ``--oxigraph-timeout``
adds a run with that flag, the closest to rolegraph's protection (every query stoppable): with 10 s it
answers for about 4 s, then answers 500 ("Resource temporarily unavailable") or stops accepting
connections. Its errors are printed by kind, and rolegraph's ratio is given over its correct answers for
the whole run and over its error-free stretch (correct answers per second until the first error).

Then a bounded load test on rolegraph serve: 16 clients for --load-seconds mixing page views and SPARQL
queries; it prints requests, errors (must be 0) and p99.

The store is generated in-process (bench/generate.py's specs, read, parsed and emitted by rolegraph)
without the ladder stage, which this benchmark does not exercise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sparql_servers import find_program  # noqa: E402  (programs beside this Python, e.g. .venv/bin, then PATH)

PREFIX = "PREFIX schema: <https://schema.org/>\n"
LOOKUP = PREFIX + 'SELECT ?class ?title WHERE {{ ?class schema:identifier "{code}" ; schema:name ?title }}'
MARKER = "BENCH_CLASSES"


# -- the data ----------------------------------------------------------------------------------------------

def prepare_store(classes: int, directory: Path) -> Path:
    """A rolegraph store of ``classes`` generated specs in ``directory`` (reused when already there)."""
    from generate import write_specs

    from rolegraph.pipeline import parse_paths
    from rolegraph.rdf import Iris, emit_class_graphs
    from rolegraph.skills import skills_graph, vocabulary_of_classes, vocabulary_quads
    from rolegraph.store import open_store

    store_dir = directory / "store"
    if (directory / MARKER).exists() and (directory / MARKER).read_text() == str(classes):
        return store_dir
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    started = time.perf_counter()
    write_specs(classes, directory / "specs", seed=7)
    parsed = parse_paths([directory / "specs"])
    vocabulary = vocabulary_of_classes(parsed.classes)
    iris = Iris()
    graphs = emit_class_graphs(parsed.classes, iris, concept_label=vocabulary.label_of)
    store = open_store(store_dir)
    try:
        store.replace_class_graphs(graphs)
        store.replace_graph(skills_graph(iris).value, vocabulary_quads(vocabulary, iris))
        quads = len(store)
    finally:
        store.close()
    (directory / MARKER).write_text(str(classes))
    print(f"built {len(parsed.classes)} classes ({quads:,} quads) in {time.perf_counter() - started:.0f} s")
    return store_dir


def codes_in(store_dir: Path, count: int, seed: int = 11) -> list[str]:
    """``count`` distinct class codes drawn at random (``seed``) from all the codes in the store."""
    from rolegraph.store import open_store

    store = open_store(store_dir, read_only=True)
    try:
        rows = store.query("SELECT DISTINCT ?code WHERE { ?c a rg:JobClass ; schema:identifier ?code }")
        codes = sorted(row["code"].value for row in rows)
    finally:
        store.close()
    return random.Random(seed).sample(codes, min(count, len(codes)))


# -- servers -----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log: IO[bytes] | None = None

    def __enter__(self) -> Server:
        # stderr to a file, not a pipe: a server logging more than a pipe holds (waitress warns of each queued
        # request when clients outnumber its threads) would block on a pipe nobody reads, and stop answering
        self.log = tempfile.TemporaryFile()
        program = find_program(self.command[0]) or self.command[0]
        self.process = subprocess.Popen([program, *self.command[1:]], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{self.name} exited: {self.log.read().decode(errors='replace')[-2000:]}")
            try:
                status, _ = request(self.port, "/sparql?" + urlencode({"query": "ASK {}"}))
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not start")

    def __exit__(self, *exc_info: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far, from /proc/PID/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """The live child processes of ``pid`` and theirs (a thread that ends while it is read is skipped)."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").iterdir():
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def process_cpu(pid: int) -> dict[int, float]:
    """CPU seconds used so far by a process (first) and each of its live descendants; empty without /proc."""
    try:
        return {one: _cpu_of(one) for one in [pid, *_descendants(pid)]}
    except OSError:
        return {}


def cpu_spent(before: dict[int, float], after: dict[int, float], pid: int) -> tuple[float, float] | None:
    """CPU seconds between two ``process_cpu`` readings: the process's own, and its children's (the query
    workers); a child that is new (a replaced worker) counts from zero."""
    if not before or not after:
        return None
    own = after[pid] - before[pid]
    return own, sum(seconds - before.get(child, 0.0) for child, seconds in after.items() if child != pid)


_local = threading.local()


def request(port: int, path: str) -> tuple[int, bytes]:
    """GET over a keep-alive connection of this thread."""
    connections = _local.__dict__.setdefault("connections", {})
    connection = connections.get(port)
    if connection is None:
        connection = connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, response.read()
    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
        connection.close()  # the server closed an idle keep-alive connection: retry once, as HTTP clients do
        connection = connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        connection.close()
        connections.pop(port, None)
        raise


# -- the client --------------------------------------------------------------------------------------------

@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)  # what the errors were
    first_error: float | None = None  # seconds into the run when the first error came back
    ok_before_error: int = 0
    cpu: tuple[float, float] | None = None  # CPU seconds of the server process, and of its child processes

    @property
    def answered(self) -> int:
        """Requests answered correctly (errors are not answers)."""
        return len(self.latencies) - self.errors

    @property
    def healthy_throughput(self) -> float:
        """Correct answers per second up to the first error (the whole run when there was none)."""
        if self.first_error is None:
            return self.throughput
        return self.ok_before_error / self.first_error if self.first_error else 0.0

    @property
    def throughput(self) -> float:
        """Correct answers per second over the whole run: errors count as time spent, not as answers."""
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def drive(port: int, paths: Callable[[random.Random], str], clients: int, seconds: float,
          check: Callable[[int, bytes], bool]) -> Run:
    """``clients`` threads sending GETs for ``seconds``; each answer is checked."""
    run, lock = Run(), threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        rng = random.Random(number)
        mine, errors, kinds, finished = [], 0, Counter(), []
        while time.monotonic() < stop:
            path = paths(rng)
            started = time.perf_counter()
            try:
                status, body = request(port, path)
                ok = check(status, body)
                if not ok:
                    kinds[f"HTTP {status}: {body[:80]!r}"] += 1
            except (OSError, http.client.HTTPException) as error:
                ok = False
                kinds[type(error).__name__] += 1
            mine.append(time.perf_counter() - started)
            finished.append((time.perf_counter() - begin, ok))
            errors += not ok
        with lock:
            run.latencies.extend(mine)
            run.errors += errors
            outcomes.extend(finished)
            for kind, count in kinds.items():
                run.kinds[kind] = run.kinds.get(kind, 0) + count

    outcomes: list[tuple[float, bool]] = []
    begin = time.perf_counter()
    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - begin
    failures = [at for at, ok in outcomes if not ok]
    if failures:
        run.first_error = min(failures)
        run.ok_before_error = sum(1 for at, ok in outcomes if ok and at < run.first_error)
    return run


def lookup_paths(codes: list[str]) -> Callable[[random.Random], str]:
    """Point lookups of classes picked by the client's generator (seeded by its number): the same sequence on
    every server, and never the same class twice in a row."""
    last: dict[int, str] = {}

    def path(rng: random.Random) -> str:
        code = rng.choice(codes)
        while len(codes) > 1 and code == last.get(id(rng)):
            code = rng.choice(codes)
        last[id(rng)] = code
        return "/sparql?" + urlencode({"query": LOOKUP.format(code=code)})

    return path


def one_row(status: int, body: bytes) -> bool:
    try:
        return status == 200 and len(json.loads(body)["results"]["bindings"]) >= 1
    except ValueError:
        return False


# -- the Flask + rdflib baseline -------------------------------------------------------------------------

def serve_rdflib(nquads: Path, port: int) -> None:
    """A plain SPARQL endpoint: Flask + rdflib (union default graph) under waitress, as a user would write."""
    from flask import Flask, Response, request
    from rdflib import Dataset
    from waitress import serve

    dataset = Dataset(default_union=True)
    dataset.parse(str(nquads), format="nquads")
    app = Flask("rdflib-endpoint")
    lock = threading.Lock()  # rdflib's query parser hangs under concurrent queries (seen here): one at a time

    @app.route("/sparql")
    def sparql() -> Response:
        with lock:
            result = dataset.query(request.args["query"])
            body = result.serialize(format="json")
        return Response(body, mimetype="application/sparql-results+json")

    serve(app, host="127.0.0.1", port=port, threads=8, _quiet=True)


def rdflib_subset(store_dir: Path, codes: list[str], out: Path) -> int:
    """N-Quads of the class graphs of the classes with these ``codes`` (plus the shared graphs); returns the
    quad count."""
    from rolegraph.store import open_store

    store = open_store(store_dir, read_only=True)
    try:
        wanted = " ".join(json.dumps(code) for code in codes)
        graphs = [row["g"] for row in store.query(f"""SELECT DISTINCT ?g WHERE {{ VALUES ?code {{ {wanted} }}
            GRAPH ?g {{ ?c a rg:JobClass ; schema:identifier ?code }} }}""", union=False)]
        values = " ".join(str(graph) for graph in graphs)
        rows = store.query(f"""SELECT ?s ?p ?o ?g WHERE {{ {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}
            UNION {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRENDS(STR(?g), "/graph/shared") || STRENDS(STR(?g), "skills")) }}
            }}""", union=False)
        lines = [f"{row['s']} {row['p']} {row['o']} {row['g']} ." for row in rows]
    finally:
        store.close()
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def report_ratio(run: Run, baseline: Run, baseline_name: str) -> float:
    """Print and return rolegraph's throughput over a baseline's, correct answers only on both sides (when the
    baseline erred, the ratio over its error-free stretch is printed too)."""
    ratio = run.throughput / baseline.throughput if baseline.throughput else float("nan")
    stretch = ""
    if baseline.errors and baseline.healthy_throughput:
        stretch = f" ({run.throughput / baseline.healthy_throughput:.2f}x its error-free stretch)"
    print(f"{'':<26} rolegraph serve: throughput {ratio:.2f}x {baseline_name}{stretch}")
    return ratio


# -- main ---------------------------------------------------------------------------------------------------

def report(name: str, run: Run) -> None:
    """One line per run (throughput counts correct answers only), its server CPU per request, and what its errors
    were."""
    cpu = ""
    if run.cpu is not None and run.latencies:
        own, children = (1e6 * seconds / len(run.latencies) for seconds in run.cpu)
        cpu = f"  CPU/req {own:4.0f} us" + (f" + {children:.0f} us in workers" if children else "")
    print(f"{name:<26} {len(run.latencies):>7} req  {run.errors:>5} err  p50 {run.percentile(0.5):7.2f} ms  "
          f"p99 {run.percentile(0.99):7.2f} ms  {run.throughput:8.0f} ok/s{cpu}")
    if run.kinds:
        print(f"{'':<26} errors: {run.kinds}; first after {run.first_error:.1f} s, "
              f"{run.healthy_throughput:.0f} req/s until then")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per point-lookup run")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--lookup-classes", type=int, default=1000,
                        help="classes looked up (drawn at random); the rdflib baseline loads these (~50k quads/s)")
    parser.add_argument("--threads", type=int, help="rolegraph serve --threads (default: its own default)")
    parser.add_argument("--rounds", type=int, default=1, help="run the servers in turn this many times")
    parser.add_argument("--oxigraph-timeout", type=float, help="also run Oxigraph's server with --timeout-s N")
    parser.add_argument("--keep", type=Path, help="build the store here and reuse it next time")
    parser.add_argument("--no-rdflib", action="store_true", help="leave out the Flask + rdflib baseline (quicker)")
    parser.add_argument("--serve-rdflib", nargs=2, metavar=("NQUADS", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_rdflib:
        serve_rdflib(Path(args.serve_rdflib[0]), int(args.serve_rdflib[1]))
        return 0
    if find_program("oxigraph") is None:
        print("bench/serve.py needs Oxigraph's server: pip install oxigraph", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="rolegraph-bench-serve-"))
    try:
        store_dir = prepare_store(args.classes, args.keep or work / "data")
        codes = codes_in(store_dir, args.lookup_classes)
        print(f"point lookup: {args.clients} clients x {args.seconds:g} s, one class by code, a different one each "
              f"time, the same sequence on every server ({len(codes)} codes drawn from {args.classes} classes), "
              "JSON results")
        subset = work / "subset.nq"
        if not args.no_rdflib:
            quads = rdflib_subset(store_dir, codes, subset)
            print(f"flask+rdflib loads the graphs of those {len(codes)} classes and the shared graphs "
                  f"({quads:,} quads)")
        servers = [
            ("rolegraph serve", ["rolegraph", "serve", "--store", str(store_dir), "--port", "{port}",
                                 *(["--threads", str(args.threads)] if args.threads else [])]),
            ("oxigraph serve-read-only", ["oxigraph", "serve-read-only", "--location", str(store_dir),
                                          "--bind", "127.0.0.1:{port}", "--union-default-graph"]),
            ("flask+rdflib", [sys.executable, __file__, "--serve-rdflib", str(subset), "{port}"]),
        ]
        if args.no_rdflib:
            servers.pop()
        if args.oxigraph_timeout:
            timeout = f"{args.oxigraph_timeout:g}"
            servers.insert(2, (f"oxigraph --timeout-s {timeout}", [*servers[1][1], "--timeout-s", timeout]))
        ratios: dict[str, list[float]] = {name: [] for name, _ in servers[1:]}
        stretches: dict[str, list[float]] = {name: [] for name, _ in servers[1:]}  # over error-free stretches
        runs_erred: dict[str, list[bool]] = {}
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"-- round {number} of {args.rounds}")
            runs: dict[str, Run] = {}
            for name, command in servers:
                port = free_port()
                with Server(name, [part.replace("{port}", str(port)) for part in command], port) as server:
                    drive(port, lookup_paths(codes), args.clients, 1.0, one_row)  # warm up
                    pid = server.process.pid  # type: ignore[union-attr]
                    before = process_cpu(pid)
                    runs[name] = drive(port, lookup_paths(codes), args.clients, args.seconds, one_row)
                    runs[name].cpu = cpu_spent(before, process_cpu(pid), pid)
            for name, run in runs.items():
                report(name, run)
                runs_erred.setdefault(name, []).append(run.errors > 0)
            for name in ratios:
                ratios[name].append(report_ratio(runs["rolegraph serve"], runs[name], name))
                if runs[name].healthy_throughput:
                    stretches[name].append(runs["rolegraph serve"].throughput / runs[name].healthy_throughput)
        if args.rounds > 1:
            print("median over the rounds: " + ", ".join(
                f"{statistics.median(values):.2f}x {name}" + (
                    f" ({statistics.median(stretches[name]):.2f}x its error-free stretch)"
                    if any(runs_erred[name]) else "")
                for name, values in ratios.items()))
        if args.load_seconds > 0:
            load_test(store_dir, codes, args.load_seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def load_test(store_dir: Path, codes: list[str], seconds: float) -> None:
    """16 clients mixing page views and SPARQL queries against rolegraph serve; errors must be 0."""
    from rolegraph.lookup import list_classes
    from rolegraph.store import open_store

    store = open_store(store_dir, read_only=True)
    try:
        classes = [ref for ref in list_classes(store) if not ref.stub]
    finally:
        store.close()
    base = "https://w3id.org/rolegraph/id/"
    pages = [f"/{ref.iri[len(base):]}" for ref in classes]
    titles = [ref.title for ref in classes]
    kinds: list[Callable[[random.Random], str]] = [
        lambda rng: rng.choice(pages),
        lambda rng: "/search?" + urlencode({"q": rng.choice(titles)[:12]}),
        lambda rng: "/",
        lambda rng: "/query?" + urlencode({"query": LOOKUP.format(code=rng.choice(codes))}),
        lookup_paths(codes),
        lambda rng: "/sparql?" + urlencode({"query": PREFIX + "SELECT (COUNT(*) AS ?n) WHERE { ?c schema:identifier "
                                                     f'"{rng.choice(codes)}" ; ?p ?o }}'}),
    ]
    port = free_port()
    with Server("rolegraph serve", ["rolegraph", "serve", "--store", str(store_dir), "--port", str(port),
                                    "--threads", "16"], port):
        request(port, "/")  # first overview reads the class list once
        run = drive(port, lambda rng: rng.choice(kinds)(rng), 16, seconds, lambda status, body: status == 200)
    print(f"load test: 16 clients x {seconds:g} s, pages (class, search, overview, query page) and SPARQL: "
          f"{len(run.latencies)} requests, {run.errors} errors, p50 {run.percentile(0.5):.1f} ms, "
          f"p99 {run.percentile(0.99):.1f} ms, {run.throughput:.0f} req/s"
          + (f"; errors: {run.kinds}" if run.kinds else ""))


if __name__ == "__main__":
    sys.exit(main())
