"""Reliability figures: bad inputs, killed builds, hostile clients and load, printed as one table.

    python bench/reliability.py [--specs DIR] [--kills 20] [--random 2000] [--load-seconds 60] [--clients 32]

- inputs: the tests/bad-inputs corpus, random byte strings and seeds with lines deleted, duplicated, shuffled,
  truncated or with control characters inserted; each must end in a model or a one-line SourceError, within
  INPUT_LIMIT seconds (else a hang);
- kills: bench/crash.py over --specs (default: the LA corpus when ../shared is there, else examples/specs);
- hostile: requests against `rolegraph serve` (loopback) that must be refused with a 4xx or 503 within the
  server's timeout, each followed by a trivial ASK that must answer 200 within a second;
- load: --clients threads for --load-seconds mixing pages and queries, with one runaway query beside them;
  the well-behaved requests must see no error.
Every loop is bounded in count and time; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import crash  # noqa: E402

from rolegraph.errors import SourceError  # noqa: E402
from rolegraph.parser import parse_document  # noqa: E402
from rolegraph.readers import read_source  # noqa: E402

INPUT_LIMIT = 5.0  # seconds one input may take before it counts as a hang
SERVER_TIMEOUT = 5  # seconds: `rolegraph serve --timeout`
MUTATIONS = ("delete", "duplicate", "shuffle", "truncate", "control")
LA = ROOT.parent / "shared" / "corpus" / "la-bulletins" / "Job Bulletins"


def mutate(lines: list[str], how: str, rng: random.Random) -> list[str]:
    """A seed's lines with some deleted, duplicated, shuffled, truncated or with control characters inserted."""
    lines = list(lines)
    if how == "delete":
        for _ in range(rng.randint(1, max(1, len(lines) // 3))):
            if lines:
                lines.pop(rng.randrange(len(lines)))
    elif how == "duplicate":
        for _ in range(rng.randint(1, 10)):
            index = rng.randrange(len(lines))
            lines.insert(index, lines[index])
    elif how == "shuffle":
        rng.shuffle(lines)
    elif how == "truncate":
        lines = lines[: rng.randrange(len(lines) + 1)]
    else:
        for _ in range(rng.randint(1, 20)):
            index = rng.randrange(len(lines))
            position = rng.randrange(len(lines[index]) + 1)
            control = chr(rng.choice([0, 1, 7, 8, 11, 12, 27, 127]))
            lines[index] = lines[index][:position] + control + lines[index][position:]
    return lines


@dataclass
class Figures:
    rows: list[tuple[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def add(self, label: str, value: object, bad: bool = False) -> None:
        self.rows.append((label, str(value)))
        if bad:
            self.failed.append(label)


# -- inputs ----------------------------------------------------------------------------------------------------

def try_input(path: Path) -> str:
    """'model', 'refused', 'crash' or 'hang' for one file."""
    started = time.perf_counter()
    try:
        parse_document(read_source(path))
        outcome = "model"
    except SourceError as error:
        outcome = "refused" if "\n" not in str(error) else "crash"
    except Exception:  # noqa: BLE001 - any other exception is what this counts
        outcome = "crash"
    return "hang" if time.perf_counter() - started > INPUT_LIMIT else outcome


def inputs_section(figures: Figures, count: int, seed: int, work: Path) -> None:
    rng = random.Random(seed)
    corpus = ROOT / "tests" / "bad-inputs"
    expected = tomllib.loads((corpus / "expected.toml").read_text(encoding="utf-8"))["files"]
    outcomes: dict[str, int] = {"model": 0, "refused": 0, "crash": 0, "hang": 0}
    wrong = 0
    for name, case in expected.items():
        outcome = try_input(corpus / name)
        outcomes[outcome] += 1
        wrong += outcome != ("refused" if case["message"] else "model")
    seeds = sorted((ROOT / "examples" / "specs").iterdir())
    for number in range(count):
        path = work / f"input-{number}.txt"
        if number % 2:
            path.write_bytes(rng.randbytes(rng.randint(0, 4096)))
        else:
            lines = rng.choice(seeds).read_text(encoding="utf-8").split("\n")
            path.write_text("\n".join(mutate(lines, rng.choice(MUTATIONS), rng)), encoding="utf-8")
        outcomes[try_input(path)] += 1
        path.unlink()
    total = sum(outcomes.values())
    figures.add("inputs tried", total)
    figures.add("  read as job classes", outcomes["model"])
    figures.add("  refused with a one-line reason", outcomes["refused"])
    figures.add("  corpus files with an unexpected outcome", wrong, bad=wrong > 0)
    figures.add("crashes (must be 0)", outcomes["crash"], bad=outcomes["crash"] > 0)
    figures.add("hangs (must be 0)", outcomes["hang"], bad=outcomes["hang"] > 0)


# -- killed builds ---------------------------------------------------------------------------------------------

def kills_section(figures: Figures, specs: Path, kills: int, seed: int, work: Path) -> None:
    report = crash.run(specs, kills, seed, work / "crash")
    figures.add(f"builds killed with SIGKILL ({specs.name})", report.kills)
    figures.add("  class graphs checked after a kill", report.graphs_checked)
    figures.add("  old / new versions found", f"{report.old} / {report.new}")
    lost = len(report.lost) + len(report.half_written)
    figures.add("classes lost or half-written (must be 0)", lost, bad=lost > 0)
    figures.add("stores that did not open, rebuilds that failed", report.store_failed_to_open + report.rebuilds_failed,
                bad=report.store_failed_to_open + report.rebuilds_failed > 0)


# -- the server ------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "rolegraph.cli", "serve", "--store", str(store), "--port",
                                str(port), "--timeout", str(SERVER_TIMEOUT), "--threads", "16"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=2)
            return process
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("rolegraph serve did not start")


NESTED = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o" + " }" * 5000
HOSTILE: list[tuple[str, dict[str, object]]] = [
    ("INSERT DATA", {"data": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}),
    ("DELETE WHERE", {"data": {"update": "DELETE WHERE { ?s ?p ?o }"}}),
    ("CLEAR ALL (update body)", {"data": b"CLEAR ALL", "headers": {"Content-Type": "application/sparql-update"}}),
    ("DROP ALL in a query", {"data": b"DROP ALL", "headers": {"Content-Type": "application/sparql-query"}}),
    ("LOAD a URL", {"data": {"update": "LOAD <http://127.0.0.1:9/x.ttl>"}}),
    ("CREATE GRAPH", {"data": {"update": "CREATE GRAPH <urn:g>"}}),
    ("SERVICE to loopback", {"data": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}}),
    ("SERVICE to a private address", {"data": {"query": "SELECT * { SERVICE <http://10.0.0.1/sparql> { ?s ?p ?o } }"}}),
    ("5,000 nested groups", {"data": {"query": NESTED}}),
    ("1 MB query", {"data": {"query": "SELECT * WHERE { ?s ?p ?o FILTER(?o = \"" + "x" * 1_048_576 + "\") }"}}),
    ("cartesian product, no LIMIT", {"data": {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}}),
    ("catastrophic regex", {"data": {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), "
                                              "STR(?f)), \"^(a+)+$\")) }"}}),
    ("invalid UTF-8", {"data": b"query=SELECT%20*%20WHERE%20%7B%20%FF%FE%20%7D",
                       "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
    ("unknown Accept", {"data": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
                        "headers": {"Accept": "application/x-unknown"}}),
    ("huge LIMIT and OFFSET", {"data": {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } OFFSET 99999999999 "
                                                "LIMIT 99999999999999"}}),
    ("oversized body", {"data": b"query=" + b"A" * 8_000_000,
                        "headers": {"Content-Type": "application/x-www-form-urlencoded"}}),
    ("two queries", {"data": {"query": ["ASK {}", "ASK {}"]}}),
]
HOSTILE_GETS = [
    ("malformed percent-encoding", "/sparql?query=SELECT%ZZ%20*"),
    ("path traversal on static files", "/static/..%2f..%2f..%2fetc%2fpasswd"),
    ("path traversal, dot segments", "/static/../../pyproject.toml"),
    ("script in a search", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("script in a class path", "/class/%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
]


def trivial_ask(base: str) -> float | None:
    """Seconds a trivial ASK takes, or None when it fails."""
    started = time.perf_counter()
    try:
        answer = requests.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=5)
    except requests.RequestException:
        return None
    return time.perf_counter() - started if answer.status_code == 200 else None


def slow_client(port: int) -> bool:
    """A slowloris-style client: sends headers one byte a second for a few seconds; the server must not wait on it
    to serve others (checked by the caller) and must close it eventually."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):
            sock.sendall(b"X-a: b\r\n")
            time.sleep(1)
    return True


def hostile_section(figures: Figures, base: str, port: int) -> None:
    tried = refused = late = 0
    not_refused: list[str] = []
    slow_asks: list[str] = []
    for name, options in HOSTILE:
        tried += 1
        started = time.perf_counter()
        try:
            answer = requests.post(f"{base}/sparql", timeout=SERVER_TIMEOUT + 10, **options)  # type: ignore[arg-type]
            status = answer.status_code
        except requests.RequestException:
            status = 0
        elapsed = time.perf_counter() - started
        if elapsed > SERVER_TIMEOUT + 2:
            late += 1
        # Refused (4xx, 503), or answered in full well within the timeout (a linear-time regex engine and an
        # OFFSET past the end make some of these harmless on a small store).
        if (400 <= status < 600 and status != 500) or (status == 200 and elapsed < SERVER_TIMEOUT):
            refused += 1
        else:
            not_refused.append(f"{name} ({status})")
        if (trivial_ask(base) or 99) > 1.0:
            slow_asks.append(name)
    for name, path in HOSTILE_GETS:
        tried += 1
        try:
            answer = requests.get(base + path, timeout=SERVER_TIMEOUT + 10)
            as_html = "html" in answer.headers.get("Content-Type", "")  # text/plain with nosniff cannot run it
            ok = answer.status_code < 500 and not (as_html and "<script>alert(1)</script>" in answer.text)
            ok = ok and "[build-system]" not in answer.text and "root:" not in answer.text
        except requests.RequestException:
            ok = False
        refused += ok
        if not ok:
            not_refused.append(name)
    tried += 2
    headers = {f"X-Big-{n}": "y" * 8000 for n in range(20)}
    try:
        big = requests.get(f"{base}/sparql", params={"query": "ASK {}"}, headers=headers, timeout=10).status_code
    except requests.RequestException:
        big = 0  # the server closed the connection: refused too
    refused += big in (0, 400, 413, 431)
    slow = threading.Thread(target=slow_client, args=(port,))
    slow.start()
    ask = trivial_ask(base)
    slow.join(10)
    refused += ask is not None and ask < 1.0
    figures.add("hostile requests tried", tried)
    figures.add("  refused (4xx/503) or served safely", refused, bad=refused != tried)
    if not_refused:
        figures.add("  not refused", "; ".join(not_refused), bad=True)
    figures.add("  answered after the timeout", late, bad=late > 0)
    figures.add("  trivial ASK slower than 1 s right after", len(slow_asks), bad=bool(slow_asks))


# -- load -------------------------------------------------------------------------------------------------------

def load_section(figures: Figures, base: str, clients: int, seconds: float, codes: list[str]) -> None:
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    pages = ["/", "/search?q=clerk", "/validation", "/query"] + [f"/search?q={quote(code)}" for code in codes]
    query = "SELECT ?c ?t WHERE { ?c a rg:JobClass ; schema:name ?t } LIMIT 50"

    def client(number: int) -> None:
        session = requests.Session()
        rng = random.Random(number)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if rng.random() < 0.5:
                    answer = session.get(base + rng.choice(pages), timeout=30)
                else:
                    answer = session.post(f"{base}/sparql", data={"query": query}, timeout=30,
                                          headers={"Accept": "application/sparql-results+json"})
                failed = answer.status_code != 200
            except requests.RequestException as error:
                failed, answer = True, error
            with lock:
                latencies.append(time.perf_counter() - started)
                if failed:
                    errors.append(str(getattr(answer, "status_code", answer)))

    def runaway() -> None:
        while time.monotonic() < deadline:
            try:
                requests.post(f"{base}/sparql", timeout=SERVER_TIMEOUT + 10,
                              data={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"})
            except requests.RequestException:
                pass

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)] + [threading.Thread(target=runaway)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 100 else float("nan")
    figures.add(f"load requests ({clients} clients x {seconds:.0f} s, one runaway query beside)", len(latencies))
    figures.add("  errors on well-behaved requests (must be 0)", len(errors), bad=bool(errors))
    figures.add("  p99 latency", f"{p99:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=Path, default=LA if LA.is_dir() else ROOT / "examples" / "specs")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--random", type=int, default=2000, help="random and mutated inputs to try")
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="rolegraph-reliability-") as folder:
        work = Path(folder)
        inputs_section(figures, args.random, args.seed, work)
        if args.kills:
            kills_section(figures, args.specs, args.kills, args.seed, work)
        store = work / "store"
        subprocess.run([sys.executable, "-m", "rolegraph.cli", "build", str(ROOT / "examples" / "specs"), "--store",
                        str(store)], capture_output=True, check=True)
        port = free_port()
        server = start_server(store, port)
        base = f"http://127.0.0.1:{port}"
        try:
            hostile_section(figures, base, port)
            load_section(figures, base, args.clients, args.load_seconds, ["1341", "1343", "885.2", "11360"])
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(server.pid, signal.SIGKILL)
    width = max(len(label) for label, _ in figures.rows)
    for label, value in figures.rows:
        print(f"{label:<{width}}  {value}")
    print("all figures as required" if not figures.failed else f"NOT AS REQUIRED: {', '.join(figures.failed)}")
    return 0 if not figures.failed else 1


if __name__ == "__main__":
    sys.exit(main())
