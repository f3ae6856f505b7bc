"""Run SPARQL queries in worker processes that can be stopped.

pyoxigraph evaluates a query without giving Python a chance to interrupt it, so a query that runs past its
time limit cannot be stopped in a thread. Each worker is a process holding the store open read-only; a
request hands it one query and waits at most until the deadline. On time the worker returns the complete,
serialized result; past it the worker is killed (the query with it), the client gets QueryTimeout, and a
fresh worker takes its place while the other workers keep serving.

Where the system allows it (Linux network namespaces) a worker also gives up all network access before it
opens the store, so even a query that got past ``guard`` could not make the server fetch a URL.
"""

from __future__ import annotations

import ctypes
import logging
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from rolegraph.errors import QueryError, QueryTimeout, RolegraphError, StoreError

__all__ = ["QueryJob", "QueryPool"]

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # seconds a new worker may take to open the store
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


@dataclass(frozen=True)
class QueryJob:
    """One query for a worker, with the media type its result is wanted in."""

    query: str
    media_type: str
    union: bool = True
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


def leave_network() -> bool:
    """Move this process into a new, empty network namespace; True when that worked.

    Must run while the process has one thread (before the store opens).
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    return any(libc.unshare(flags) == 0 for flags in (CLONE_NEWNET, CLONE_NEWUSER | CLONE_NEWNET))


def _serve(conn: Connection) -> None:
    """A worker's life: leave the network, open the store, answer jobs until the pipe closes."""
    from rolegraph.store import open_store
    from rolegraph.store.remote import is_remote_location
    from rolegraph.web.results import serialize_result

    location, nquads, row_limit, byte_limit = conn.recv()
    # A worker reading a SPARQL server must keep the network to reach it; SERVICE is then refused by the guard
    # alone (and a remote server runs its own queries).
    isolated = False if is_remote_location(location) else leave_network()
    try:
        store = open_store(location, read_only=location is not None)
        if nquads is not None:
            store.import_data(nquads, "nq")
    except RolegraphError as error:
        conn.send(("error", error))
        return
    conn.send(("ready", isolated))
    while True:
        try:
            job: QueryJob = conn.recv()
        except (EOFError, OSError):
            break
        try:
            graphs = {} if job.default_graph is None and job.named_graphs is None else {
                "default_graph": list(job.default_graph or ()), "named_graphs": list(job.named_graphs or ())}
            result = store.query(job.query, union=job.union, **graphs)
            conn.send(("ok", serialize_result(result, job.media_type, row_limit, byte_limit)))
        except RolegraphError as error:
            conn.send(("error", _readable(error)))
        except (OSError, ValueError, RuntimeError, SyntaxError) as error:  # raised while iterating results
            conn.send(("error", QueryError(f"query failed: {error}")))
    store.close()


_POSITION = re.compile(r"error at (\d+):(\d+): ")


def _readable(error: RolegraphError) -> RolegraphError:
    """Say where a syntax error is in words: "line 3, column 18".

    >>> str(_readable(QueryError("malformed SPARQL: error at 3:18: expected one of ABS, AVG")))
    'malformed SPARQL at line 3, column 18: expected one of ABS, AVG'
    """
    if not isinstance(error, QueryError) or not _POSITION.search(str(error)):
        return error
    return type(error)(_POSITION.sub(lambda m: f"at line {m.group(1)}, column {m.group(2)}: ", str(error))
                       .replace("SPARQL: at", "SPARQL at"))


class _Worker:
    def __init__(self, process: subprocess.Popen[bytes], conn: Connection, isolated: bool) -> None:
        self.process, self.conn, self.isolated = process, conn, isolated

    def stop(self) -> None:
        _stop(self.process, self.conn)


def _stop(process: subprocess.Popen[bytes], conn: Connection) -> None:
    conn.close()
    if process.poll() is None:
        process.kill()
    process.wait(5)


class QueryPool:
    """A fixed number of query worker processes over one store (a directory, or N-Quads of a memory store).

    Workers start on first use; ``close()`` stops them all.
    """

    def __init__(self, location: str | Path | None, size: int, timeout: float, row_limit: int,
                 byte_limit: int, nquads: bytes | None = None) -> None:
        self.location = None if location is None else str(location)
        self.nquads = nquads
        self.size, self.timeout = max(1, size), timeout
        self.row_limit, self.byte_limit = row_limit, byte_limit
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = self._closed = False
        self.isolated: bool | None = None  # whether workers run without network, once known

    def _launch(self) -> tuple[subprocess.Popen[bytes], Connection]:
        """Start a worker process (``python -m rolegraph.web.workers FD``) joined to this one by a socket pair."""
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen([sys.executable, "-m", "rolegraph.web.workers", str(theirs.fileno())],
                                       pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        conn.send((self.location, self.nquads, self.row_limit, self.byte_limit))
        return process, conn

    def _ready(self, process: subprocess.Popen[bytes], conn: Connection) -> _Worker:
        try:
            status, payload = conn.recv() if conn.poll(START_TIMEOUT) else ("timeout", None)
        except (EOFError, OSError):
            status, payload = "died", None
        if status != "ready":
            _stop(process, conn)
            if isinstance(payload, RolegraphError):
                raise payload
            raise StoreError(f"a query worker could not start ({status})")
        worker = _Worker(process, conn, bool(payload))
        with self._lock:
            if self._closed:
                worker.stop()
                raise StoreError("the query pool is closed")
            self._all.add(worker)
            self.isolated = worker.isolated if self.isolated is None else self.isolated and worker.isolated
        return worker

    def start(self) -> None:
        """Start the workers (in parallel) if they are not running yet."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            launched = [self._launch() for _ in range(self.size)]
        for process, conn in launched:
            self._idle.put(self._ready(process, conn))
        if not self.isolated:
            log.warning("query workers keep network access (no network namespace here); "
                        "SERVICE is still refused before a query runs")

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()

        def respawn() -> None:
            try:
                self._idle.put(self._ready(*self._launch()))
            except RolegraphError as error:
                log.error("could not replace a query worker: %s", error)

        if not self._closed:
            threading.Thread(target=respawn, name="rolegraph-respawn", daemon=True).start()

    def run(self, job: QueryJob) -> bytes:
        """Return the serialized result of one query, computed within the timeout.

        Raises:
            QueryTimeout: no worker was free, or the query ran past the timeout (its worker is killed).
            QueryError, QueryRejected: the query is malformed, failed, or its result passed a cap.
        """
        deadline = time.monotonic() + self.timeout
        self.start()
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                               "try again later") from None
        try:
            worker.conn.send(job)
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                self._replace(worker)
                raise QueryTimeout(f"the query ran past the time limit of {self.timeout:g} s and was stopped")
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._replace(worker)
            raise QueryError("the query stopped the process evaluating it (too large or too deep?)") from None
        self._idle.put(worker)
        if status == "error":
            raise payload
        return payload

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
