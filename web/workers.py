"""Run SPARQL queries in worker processes that can be stopped.

pyoxigraph evaluates a query without giving Python a chance to interrupt it, so a query that runs past its
time limit cannot be stopped in a thread. Each worker is a process holding the store open read-only; a
request hands it one query and waits at most until the deadline. On time the worker returns the complete,
serialized result; past it the worker is killed (the query with it), the client gets QueryTimeout, and a
fresh worker takes its place while the other workers keep serving.

Where the system allows it (Linux network namespaces) a worker also gives up all network access before it
opens the store, so even a query that got past ``guard`` could not make the server fetch a URL.

The hop to a worker is kept cheap because every query pays it: workers start once and each keeps one socket
to the server; a message is a 4-byte length and its bytes. A job travels as ``marshal`` data (strings, a flag,
IRIs), an answer as one status byte and the serialized result, which the server passes on without decoding;
only errors (rare) are pickled. The server waits for an answer with the socket's own timeout, no selector.
"""

from __future__ import annotations

import ctypes
import logging
import marshal
import pickle
import queue
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rolegraph.errors import QueryError, QueryTimeout, RolegraphError, StoreError

__all__ = ["QueryJob", "QueryPool"]

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # seconds a new worker may take to open the store
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
_LENGTH = struct.Struct("!I")
_OK, _ERROR = b"o", b"e"  # the first byte of an answer
_FIRST_READ = 16 * 1024  # bytes asked of the socket first: most messages arrive whole in one read
_BIG = 64 * 1024  # a message at least this long is sent without copying it behind its length


def send_message(sock: socket.socket, payload: bytes) -> None:
    """Send one message: its length (4 bytes), then its bytes."""
    if len(payload) < _BIG:
        sock.sendall(_LENGTH.pack(len(payload)) + payload)
    else:  # no copy of a big result just to put four bytes in front of it
        sock.sendall(_LENGTH.pack(len(payload)))
        sock.sendall(payload)


def receive_message(sock: socket.socket, deadline: float | None = None) -> bytes:
    """Receive one message whole; past ``deadline`` (time.monotonic) raise TimeoutError, on a closed socket EOFError.

    One read brings a small message whole; a big one goes straight into a buffer of its size. There is one
    message in flight at a time (a job, then its answer), so bytes past the end of one are a broken peer.

    >>> ours, theirs = socket.socketpair()
    >>> send_message(ours, b"hello"); receive_message(theirs, time.monotonic() + 5)
    b'hello'
    >>> send_message(ours, bytes(100_000)); len(receive_message(theirs))
    100000
    >>> send_message(ours, b"one"); send_message(ours, b"two"); receive_message(theirs)
    Traceback (most recent call last):
    ConnectionError: 7 bytes past the end of a message
    >>> ours.close(); receive_message(theirs)
    Traceback (most recent call last):
    EOFError: the other end closed the connection
    """
    def read_into(view: memoryview) -> int:
        _set_deadline(sock, deadline)
        return sock.recv_into(view)

    return _framed(lambda: _receive(sock, _FIRST_READ, deadline), read_into)


def _framed(read: Callable[[], bytes], read_into: Callable[[memoryview], int]) -> bytes:
    """One length-prefixed message from ``read`` (a first chunk) and ``read_into`` (the rest, into a buffer of
    the message's size); both sides of a worker's socket frame messages this way."""
    first = read()
    while len(first) < _LENGTH.size:
        first += read()
    (length,) = _LENGTH.unpack_from(first)
    if len(first) > _LENGTH.size + length:
        raise ConnectionError(f"{len(first) - _LENGTH.size - length} bytes past the end of a message")
    if len(first) == _LENGTH.size + length:
        return first[_LENGTH.size:]
    buffer = bytearray(length)
    view = memoryview(buffer)
    got = len(first) - _LENGTH.size
    view[:got] = first[_LENGTH.size:]
    while got < length:
        count = read_into(view[got:])
        if not count:
            raise EOFError("the other end closed the connection")
        got += count
    return bytes(buffer)


def _set_deadline(sock: socket.socket, deadline: float | None) -> None:
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer in time")
        sock.settimeout(remaining)


def _receive(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    _set_deadline(sock, deadline)
    chunk = sock.recv(size)
    if not chunk:
        raise EOFError("the other end closed the connection")
    return chunk


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


def _serve(conn: socket.socket) -> None:
    """A worker's life: leave the network, open the store, answer jobs until the socket closes."""
    from rolegraph.store import open_store
    from rolegraph.store.remote import is_remote_location
    from rolegraph.web.results import serialize_result

    location, nquads, row_limit, byte_limit = marshal.loads(receive_message(conn))
    # A worker reading a SPARQL server must keep the network to reach it; SERVICE is then refused by the guard
    # alone (and a remote server runs its own queries).
    isolated = False if is_remote_location(location) else leave_network()
    try:
        store = open_store(location, read_only=location is not None)
        if nquads is not None:
            store.import_data(nquads, "nq")
    except RolegraphError as error:
        send_message(conn, _ERROR + pickle.dumps(error))
        return
    send_message(conn, _OK + marshal.dumps(isolated))
    while True:
        try:
            job = QueryJob(*marshal.loads(receive_message(conn)))
        except (EOFError, OSError):
            break
        try:
            graphs = {} if job.default_graph is None and job.named_graphs is None else {
                "default_graph": list(job.default_graph or ()), "named_graphs": list(job.named_graphs or ())}
            result = store.query(job.query, union=job.union, **graphs)
            answer = _OK + serialize_result(result, job.media_type, row_limit, byte_limit)
        except RolegraphError as error:
            answer = _ERROR + pickle.dumps(_readable(error))
        except (OSError, ValueError, RuntimeError, SyntaxError) as error:  # raised while iterating results
            answer = _ERROR + pickle.dumps(QueryError(f"query failed: {error}"))
        try:
            send_message(conn, answer)
        except OSError:
            break
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
    """A running worker, seen from the server: its socket is non-blocking and waited on with poll, so a job
    costs a send, a poll and a receive (a socket timeout would add a poll before each send and switch the
    socket's mode, one more system call, every time it is set)."""

    def __init__(self, process: subprocess.Popen[bytes], conn: socket.socket, isolated: bool) -> None:
        self.process, self.conn, self.isolated = process, conn, isolated
        conn.setblocking(False)
        self._readable, self._writable = select.poll(), select.poll()
        self._readable.register(conn, select.POLLIN)
        self._writable.register(conn, select.POLLOUT)

    def _wait(self, poller: select.poll, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000 + 1):
            raise TimeoutError("no answer in time")

    def ask(self, payload: bytes, deadline: float) -> bytes:
        """Send one job and return its answer whole; past ``deadline`` raise TimeoutError, EOFError when the
        worker closed its end."""
        conn = self.conn
        message = memoryview(_LENGTH.pack(len(payload)) + payload)
        sent = 0
        while sent < len(message):
            try:
                sent += conn.send(message[sent:])
            except BlockingIOError:
                self._wait(self._writable, deadline)
        self._wait(self._readable, deadline)

        def read_into(view: memoryview) -> int:
            while True:
                try:
                    return conn.recv_into(view)
                except BlockingIOError:
                    self._wait(self._readable, deadline)

        return _framed(lambda: self._recv(_FIRST_READ, deadline), read_into)

    def _recv(self, size: int, deadline: float) -> bytes:
        while True:
            try:
                chunk = self.conn.recv(size)
            except BlockingIOError:
                self._wait(self._readable, deadline)
                continue
            if not chunk:
                raise EOFError("the other end closed the connection")
            return chunk

    def stop(self) -> None:
        _stop(self.process, self.conn)


def _stop(process: subprocess.Popen[bytes], conn: socket.socket) -> None:
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
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = self._closed = False
        self.isolated: bool | None = None  # whether workers run without network, once known

    def _launch(self) -> tuple[subprocess.Popen[bytes], socket.socket]:
        """Start a worker process (``python -m rolegraph.web.workers FD``) joined to this one by a socket pair."""
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen([sys.executable, "-m", "rolegraph.web.workers", str(theirs.fileno())],
                                       pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        send_message(ours, marshal.dumps((self.location, self.nquads, self.row_limit, self.byte_limit)))
        return process, ours

    def _ready(self, process: subprocess.Popen[bytes], conn: socket.socket) -> _Worker:
        try:
            answer = receive_message(conn, time.monotonic() + START_TIMEOUT)
            status = "ready" if answer[:1] == _OK else "error"
        except TimeoutError:
            status, answer = "timeout", b""
        except (EOFError, OSError):
            status, answer = "died", b""
        if status != "ready":
            _stop(process, conn)
            payload = pickle.loads(answer[1:]) if status == "error" else None
            if isinstance(payload, RolegraphError):
                raise payload
            raise StoreError(f"a query worker could not start ({status})")
        worker = _Worker(process, conn, bool(marshal.loads(answer[1:])))
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
            answer = worker.ask(marshal.dumps(
                (job.query, job.media_type, job.union, job.default_graph, job.named_graphs)), deadline)
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeout(f"the query ran past the time limit of {self.timeout:g} s and was stopped") from None
        except (EOFError, OSError):
            self._replace(worker)
            raise QueryError("the query stopped the process evaluating it (too large or too deep?)") from None
        self._idle.put(worker)
        if answer[:1] == _ERROR:
            raise pickle.loads(answer[1:])
        return answer[1:]

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
