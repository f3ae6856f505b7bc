"""Run SPARQL queries in worker processes that can be stopped, so that light queries are answered while heavy ones run.

pyoxigraph evaluates a query without giving Python a chance to interrupt it, so a query that runs past its
time limit cannot be stopped in a thread. Each worker is a process holding the store open read-only; the pool
hands it one query at a time. On time the worker returns the complete, serialized result; past the limit the
worker is killed (the query with it), the client gets QueryTimeout, and a fresh worker takes its place while
the other workers keep serving.

**Scheduling.** A query cannot be paused, and when every worker holds a query that runs to the time limit,
a query of a millisecond would wait for that limit. So the last worker is kept for queries that have not run
long yet: a query that has run ``short`` seconds (0.25) is a long one, and at most ``size - 1`` long queries
hold workers. A query that turns long while ``size - 1`` others are is stopped (preempted: its worker is
killed and replaced) and waits until one of them ends, then runs again from the start as a long one, within
its own time limit; new queries always go first. A light query then waits at most ``short`` plus a worker's
start (0.15 s: workers start without Flask, see ``WORKER_MAIN``), whatever runs. Chosen over the
alternatives: a worker started for each newcomer while long queries hold the rest costs that start on every
light query and needs a bound anyway; stopping the newest long query outright answers it 503 long before its
time limit, where waiting gives it the chance the limit promises. What is lost: a preempted query's first
``short`` seconds of work (once), and with ``size`` 1 nothing is kept (that one worker may run long).

**The pool's thread.** One thread reads every worker's answer (epoll) and watches the clocks (time limits,
``short``); a query is sent to a free worker by whichever thread submits it, and the answer goes to a
callback (``submit``) or to a thread waiting in ``run``. No thread waits for a worker: the web server answers
queries from the callback (``rolegraph.web.server``), so a query running to its limit holds a worker, never a
request thread. Jobs waiting for a worker are handed out in order as workers free up; a free worker is taken
last-in first-out (its caches are the warm ones).

Where the system allows it (Linux network namespaces) a worker also gives up all network access before it
opens the store, so even a query that got past ``guard`` could not make the server fetch a URL.

The hop to a worker is kept cheap because every query pays it: workers start once and each keeps one socket
to the server; a message is a 4-byte length and its bytes. A job travels as ``marshal`` data (strings, a flag,
IRIs), an answer as one status byte and the serialized result, which the server passes on without decoding;
only errors (rare) are pickled.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import marshal
import os
import pickle
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rolegraph.errors import QueryError, QueryTimeout, RolegraphError, StoreError

__all__ = ["PoolLoad", "QueryJob", "QueryPool", "unpack_answer"]

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0  # seconds a new worker may take to open the store
SHORT_SECONDS = 0.25  # a query that has run this long is a long one (see the module's docstring)
PATIENCE_SECONDS = 0.002  # a new query waits this long for a short one to end (see QueryPool._drain)
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
    """One query for a worker, with the media type its result is wanted in.

    ``base_iri`` resolves the query's relative IRIs (the endpoint's own URL, as the SPARQL 1.1 Protocol has it);
    a BASE in the query comes after it and wins. None: relative IRIs are an error.
    """

    query: str
    media_type: str
    union: bool = True
    default_graph: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None


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
    from rolegraph.store import is_remote_location, open_store
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
            result = store.query(job.query, union=job.union, base_iri=job.base_iri, **graphs)
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
    """A running worker, seen from the server: its socket is non-blocking, read by the pool's thread alone.

    An answer is read as it arrives (``receive`` returns it once whole); a job is sent at once, and what the
    socket could not take yet is kept in ``outgoing`` for the pool's thread to send when there is room.
    """

    def __init__(self, process: subprocess.Popen[bytes], conn: socket.socket, isolated: bool) -> None:
        self.process, self.conn, self.isolated = process, conn, isolated
        conn.setblocking(False)
        self.fd = conn.fileno()
        self.task: _Task | None = None
        self.outgoing = memoryview(b"")
        self._head = b""  # the first bytes of an answer, until its length is known
        self._body: bytearray | None = None  # an answer longer than one read, filled as it arrives
        self._got = 0

    def send(self, payload: bytes) -> bool:
        """Start sending one job; True when it went whole (else the rest waits in ``outgoing``)."""
        self.outgoing = memoryview(_LENGTH.pack(len(payload)) + payload)
        return self.flush()

    def flush(self) -> bool:
        """Send what the socket takes of ``outgoing``; True when nothing is left."""
        try:
            while self.outgoing:
                self.outgoing = self.outgoing[self.conn.send(self.outgoing):]
        except BlockingIOError:
            return False
        return True

    def receive(self) -> bytes | None:
        """Read what has arrived: the answer once it is whole, else None. EOFError when the worker closed its
        end (it died), ConnectionError for bytes past the end of an answer."""
        if self._body is None:
            chunk = self.conn.recv(_FIRST_READ)
            if not chunk:
                raise EOFError("the other end closed the connection")
            head = self._head + chunk if self._head else chunk
            if len(head) < _LENGTH.size:
                self._head = head
                return None
            self._head = b""
            (length,) = _LENGTH.unpack_from(head)
            if len(head) - _LENGTH.size > length:
                raise ConnectionError(f"{len(head) - _LENGTH.size - length} bytes past the end of a message")
            if len(head) - _LENGTH.size == length:
                return head[_LENGTH.size:]
            self._body = bytearray(length)
            self._got = len(head) - _LENGTH.size
            self._body[:self._got] = head[_LENGTH.size:]
            return None
        count = self.conn.recv_into(memoryview(self._body)[self._got:])
        if not count:
            raise EOFError("the other end closed the connection")
        self._got += count
        if self._got < len(self._body):
            return None
        answer, self._body = bytes(self._body), None
        return answer

    def stop(self) -> None:
        _stop(self.process, self.conn)


def _stop(process: subprocess.Popen[bytes], conn: socket.socket, wait: bool = True) -> None:
    conn.close()
    if process.poll() is None:
        process.kill()
    if wait:
        process.wait(5)


# A worker runs this module without rolegraph.web's __init__ (Flask and the app, which it never uses): a worker
# starts in half the time, and a worker stopped with its query is replaced sooner.
WORKER_MAIN = """
import sys, types
from importlib.util import find_spec
web = types.ModuleType("rolegraph.web")
web.__path__ = list(find_spec("rolegraph.web").submodule_search_locations)
sys.modules["rolegraph.web"] = web
from rolegraph.web.workers import _serve
import socket
_serve(socket.socket(fileno=int(sys.argv[1])))
"""

Done = Callable[[bytes | None, RolegraphError | None], None]  # a job's answer (the serialized result) or error


class _Task:
    """A job on its way: sent to a worker, or waiting for one."""

    __slots__ = ("payload", "done", "queued", "deadline", "started", "long", "preempted")

    def __init__(self, payload: bytes, done: Done, queued: float, timeout: float) -> None:
        self.payload, self.done, self.queued, self.deadline = payload, done, queued, queued + timeout
        self.started = 0.0
        self.long = False  # has run ``short`` seconds or more (or was preempted for it: known to run long)
        self.preempted = False


_Note = tuple[Done, bytes | None, RolegraphError | None]  # a callback to make once the pool's lock is released


@dataclass(frozen=True)
class PoolLoad:
    """What a pool's workers are doing at one moment."""

    idle: int  # workers running and free
    running: int  # queries on a worker
    long: int  # of which have run ``short`` seconds or more
    waiting: int  # queries waiting for a worker (preempted ones included)


class QueryPool:
    """``size`` query worker processes over one store (a directory, or N-Quads of a memory store), of which at
    most ``size - 1`` (with one worker: that one) hold queries that have run ``short`` seconds or more: the last
    one is kept for queries that have not (see the module's docstring).

    ``submit`` hands over a job and returns at once, ``run`` waits for its answer. Workers start on first use;
    ``close()`` stops them all.
    """

    def __init__(self, location: str | Path | None, size: int, timeout: float, row_limit: int,
                 byte_limit: int, nquads: bytes | None = None, short: float = SHORT_SECONDS,
                 patience: float = PATIENCE_SECONDS) -> None:
        self.location = None if location is None else str(location)
        self.nquads = nquads
        self.size, self.timeout, self.short = max(1, size), timeout, min(short, timeout)
        self.long_limit = max(1, self.size - 1)  # queries that may run long at once
        self.patience = patience
        self.hot = max(1, os.cpu_count() or 1)  # short queries at once before a new one waits (see _drain)
        self.row_limit, self.byte_limit = row_limit, byte_limit
        self._lock = threading.Lock()
        self._workers: dict[int, _Worker] = {}  # live workers by socket
        self._idle: list[_Worker] = []  # the last one in is taken first: its caches are the warmest
        self._fresh: deque[_Task] = deque()  # jobs waiting for a worker, in order
        self._preempted: deque[_Task] = deque()  # jobs known to run long, waiting for a long query's place
        self._long = 0  # tasks running long
        self._running = 0  # tasks on a worker
        self._epoll = select.epoll()
        self._wake, self._woken = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._started = self._closed = False
        self._broken: RolegraphError | None = None  # why the workers could not start
        self.isolated: bool | None = None  # whether workers run without network, once known

    # -- starting and replacing workers ----------------------------------------------------------------

    def _launch(self) -> tuple[subprocess.Popen[bytes], socket.socket]:
        """Start a worker process (this module's ``_serve``, see ``WORKER_MAIN``) joined to this one by a socket
        pair."""
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen([sys.executable, "-c", WORKER_MAIN, str(theirs.fileno())],
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
        return _Worker(process, conn, bool(marshal.loads(answer[1:])))

    def _join(self, worker: _Worker) -> None:
        """Put a started worker to work (or stop it when the pool has closed meanwhile)."""
        with self._lock:
            if self._closed:
                notes: list[_Note] = []
            else:
                self._workers[worker.fd] = worker
                self._epoll.register(worker.fd, select.EPOLLIN)
                self.isolated = worker.isolated if self.isolated is None else self.isolated and worker.isolated
                self._idle.append(worker)
                notes = self._drain()
        if self._closed:
            worker.stop()
        _notify(notes)

    def start(self) -> None:
        """Start the pool's thread and the workers (in parallel) if they are not running yet."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            self._woken.setblocking(False)
            self._epoll.register(self._woken.fileno(), select.EPOLLIN)
            self._thread = threading.Thread(target=self._loop, name="rolegraph-query-pool", daemon=True)
            self._thread.start()
            launched = [self._launch() for _ in range(self.size)]
        for number, (process, conn) in enumerate(launched):
            try:
                self._join(self._ready(process, conn))
            except RolegraphError as error:
                for other, other_conn in launched[number + 1:]:
                    _stop(other, other_conn)
                self._broken = error  # every query is told why, rather than waiting for a worker
                raise
        if not self.isolated:
            log.warning("query workers keep network access (no network namespace here); "
                        "SERVICE is still refused before a query runs")

    def _retire(self, worker: _Worker) -> None:
        """Stop a worker (its query with it) and start another in its place; the caller holds the lock."""
        self._workers.pop(worker.fd, None)
        if worker in self._idle:
            self._idle.remove(worker)
        try:
            self._epoll.unregister(worker.fd)
        except OSError:
            pass
        _stop(worker.process, worker.conn, wait=False)

        def respawn() -> None:
            try:
                worker.process.wait(5)
                if not self._closed:
                    self._join(self._ready(*self._launch()))
            except (RolegraphError, OSError, subprocess.TimeoutExpired) as error:
                log.error("could not replace a query worker: %s", error)

        threading.Thread(target=respawn, name="rolegraph-respawn", daemon=True).start()

    # -- handing out jobs (the caller holds the lock) ---------------------------------------------------

    def _drain(self) -> list[_Note]:
        """Give idle workers the jobs they may take: new jobs first, in order; a preempted job only while fewer
        than ``long_limit`` queries run long (it counts as long from its start).

        The idle worker used last goes first, and while ``hot`` short queries run (one per CPU core: they are
        CPU-bound, more at once would only share the cores) a new job waits up to ``patience`` for one to end
        rather than take another worker: short queries then go one after the other to the same few workers,
        which find the next job waiting instead of sleeping (caches warm, no wake-up), while a query that takes
        longer than ``patience`` has the next ones spread over the other workers. On the 10,000-class bench,
        2 cores: 2,050-2,830 lookups/s against 1,860-2,460 with every query on a worker of its own at once,
        and 1,850-2,810 with one such worker (3 rounds each, taking turns)."""
        notes: list[_Note] = []
        now = time.monotonic()
        while self._idle:
            if self._fresh and (self._running - self._long < self.hot or now >= self._fresh[0].queued + self.patience):
                task = self._fresh.popleft()
            elif self._preempted and self._long < self.long_limit:
                task = self._preempted.popleft()
            else:
                break
            if now >= task.deadline or (task.preempted and task.deadline - now < self.short):  # (it needs more)
                notes.append((task.done, None, self._busy_error(task)))
                continue
            notes += self._dispatch(self._idle.pop(), task, now)
        return notes

    def _dispatch(self, worker: _Worker, task: _Task, now: float) -> list[_Note]:
        worker.task, task.started = task, now
        self._running += 1
        if task.preempted:
            task.long = True
            self._long += 1
        try:
            if not worker.send(task.payload):  # the rest goes when the socket has room
                self._epoll.modify(worker.fd, select.EPOLLIN | select.EPOLLOUT)
        except OSError:
            return self._lost(worker)
        return []

    def _finished(self, worker: _Worker) -> _Task | None:
        task, worker.task = worker.task, None
        if task is not None:
            self._running -= 1
            self._long -= task.long
        return task

    def _lost(self, worker: _Worker) -> list[_Note]:
        """The worker died (or its socket broke) while it held a job."""
        task = self._finished(worker)
        self._retire(worker)
        if task is None:
            return []
        return [(task.done, None, QueryError("the query stopped the process evaluating it (too large or too deep?)"))]

    def _busy_error(self, task: _Task) -> QueryTimeout:
        if task.preempted:
            return QueryTimeout(f"the query ran long while {self.long_limit} other long queries held the workers, "
                                f"and none ended within the time limit of {self.timeout:g} s; try again later")
        return QueryTimeout(f"all {self.size} query workers stayed busy for {self.timeout:g} s; try again later")

    def _check_clocks(self, now: float) -> list[_Note]:
        """Stop queries past the time limit; mark the ones past ``short`` as long, or preempt one that would leave
        no worker to queries that are not; fail jobs that waited past the time limit."""
        notes: list[_Note] = []
        for worker in list(self._workers.values()):
            task = worker.task
            if task is None:
                continue
            if now >= task.deadline:
                self._finished(worker)
                self._retire(worker)
                notes.append((task.done, None, QueryTimeout(
                    f"the query ran past the time limit of {self.timeout:g} s and was stopped")))
            elif not task.long and now - task.started >= self.short:
                if self._long < self.long_limit:
                    task.long = True
                    self._long += 1
                else:  # it holds the last worker for short queries: stop it, it runs again in a long one's place
                    self._finished(worker)
                    self._retire(worker)
                    task.preempted = True
                    self._preempted.append(task)
                    log.info("a query ran long while %d others did: stopped, it runs again when one of them ends",
                             self.long_limit)
        for waiting in (self._fresh, self._preempted):
            for task in [task for task in waiting if now >= task.deadline]:
                waiting.remove(task)
                notes.append((task.done, None, self._busy_error(task)))
        return notes + self._drain()

    def _next_clock(self, now: float) -> float:
        """Seconds until the pool's thread must look at the clocks again: at most ``short``, so a job handed to a
        worker by another thread is looked at in time without waking this one."""
        soonest = now + self.short
        for worker in self._workers.values():
            task = worker.task
            if task is not None:
                soonest = min(soonest, task.deadline, soonest if task.long else task.started + self.short)
        for waiting in (self._fresh, self._preempted):
            if waiting:
                soonest = min(soonest, min(task.deadline for task in waiting))
        if self._fresh and self._idle:
            soonest = min(soonest, self._fresh[0].queued + self.patience)
        return max(0.0, soonest - now)

    # -- the pool's thread -----------------------------------------------------------------------------

    def _loop(self) -> None:
        """Read the workers' answers as they arrive and watch the clocks, until the pool closes."""
        epoll, woken = self._epoll, self._woken.fileno()
        while not self._closed:
            with self._lock:
                timeout = self._next_clock(time.monotonic())
            try:
                events = epoll.poll(timeout)
            except OSError:  # closed meanwhile
                break
            notes: list[_Note] = []
            for fd, mask in events:
                if fd == woken:
                    continue
                worker = self._workers.get(fd)
                if worker is None:
                    continue
                if mask & select.EPOLLOUT:
                    with self._lock:
                        if worker.flush() and fd in self._workers:
                            epoll.modify(fd, select.EPOLLIN)
                if mask & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                    try:
                        answer = worker.receive()
                    except BlockingIOError:
                        continue
                    except (EOFError, OSError):
                        with self._lock:
                            if fd in self._workers:
                                notes += self._lost(worker)
                        continue
                    if answer is not None:
                        with self._lock:
                            task = self._finished(worker)
                            if fd in self._workers:
                                self._idle.append(worker)
                                notes += self._drain()
                        if task is not None:
                            notes.append((task.done, answer, None))
            with self._lock:
                notes += self._check_clocks(time.monotonic())
            _notify(notes)

    # -- queries ---------------------------------------------------------------------------------------

    def submit(self, job: QueryJob, done: Done) -> None:
        """Hand a query to a worker (or queue it) and return; ``done(answer, None)`` is called with the serialized
        result, or ``done(None, error)``, from the pool's thread (or this one), within the time limit.

        Raises:
            StoreError: the workers could not start.
        """
        payload = marshal.dumps((job.query, job.media_type, job.union, job.default_graph, job.named_graphs,
                                 job.base_iri))
        task = _Task(payload, done, time.monotonic(), self.timeout)
        self.start()
        if self._broken is not None:
            raise self._broken
        with self._lock:
            if self._closed:
                notes: list[_Note] = [(done, None, StoreError("the query pool is closed"))]
            elif self._idle and not self._fresh and self._running - self._long < self.hot:
                notes = self._dispatch(self._idle.pop(), task, time.monotonic())
            else:
                self._fresh.append(task)
                notes = self._drain()
        _notify(notes)

    def run(self, job: QueryJob) -> bytes:
        """Return the serialized result of one query, computed within the timeout.

        Raises:
            QueryTimeout: no worker was free, or the query ran past the timeout (its worker is killed).
            QueryError, QueryRejected: the query is malformed, failed, or its result passed a cap.
        """
        waiter = _Waiter()
        self.submit(job, waiter.done)
        return waiter.result(self.timeout + START_TIMEOUT)

    @property
    def idle(self) -> int:
        """How many workers are running and free."""
        return len(self._idle)

    def worker_pids(self) -> list[int]:
        """The process ids of the running workers."""
        with self._lock:
            return [worker.process.pid for worker in self._workers.values()]

    def load(self) -> PoolLoad:
        """What the workers are doing now."""
        with self._lock:
            running = [worker.task for worker in self._workers.values() if worker.task is not None]
            return PoolLoad(len(self._idle), len(running), sum(task.long for task in running),
                            len(self._fresh) + len(self._preempted))

    def close(self) -> None:
        """Stop every worker; queries still waiting or running get StoreError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._workers, self._idle = list(self._workers.values()), {}, []
            waiting = [*self._fresh, *self._preempted, *(w.task for w in workers if w.task is not None)]
            self._fresh.clear()
            self._preempted.clear()
        with contextlib.suppress(OSError):
            self._wake.send(b"x")
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        for worker in workers:
            worker.stop()
        _notify([(task.done, None, StoreError("the query pool is closed")) for task in waiting])
        self._epoll.close()
        self._wake.close()
        self._woken.close()


def _notify(notes: list[_Note]) -> None:
    """Make the callbacks the pool collected; one that fails is logged and the others still happen."""
    for done, answer, error in notes:
        try:
            done(answer, error)
        except Exception:  # noqa: BLE001 - a caller's bug must not stop the pool's thread
            log.exception("a query's callback failed")


class _Waiter:
    """What ``QueryPool.run`` waits on: the answer of one job, decoded."""

    __slots__ = ("_lock", "_answer", "_error")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self._answer: bytes | None = None
        self._error: RolegraphError | None = None

    def done(self, answer: bytes | None, error: RolegraphError | None) -> None:
        self._answer, self._error = answer, error
        self._lock.release()

    def result(self, timeout: float) -> bytes:
        if not self._lock.acquire(timeout=timeout):
            raise QueryTimeout("no answer from the query workers")
        return unpack_answer(self._answer, self._error)


def unpack_answer(answer: bytes | None, error: RolegraphError | None) -> bytes:
    """The serialized result in a worker's answer; raise the error it carries (or the pool's)."""
    if error is not None:
        raise error
    assert answer is not None
    if answer[:1] == _ERROR:
        raise pickle.loads(answer[1:])
    return answer[1:]


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
